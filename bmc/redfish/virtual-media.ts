/**
 * Virtual media through the VirtualMedia resource's InsertMedia/EjectMedia
 * actions (Redfish VirtualMedia schema v1.2+). The collection hangs off the
 * System (newer services) or off the Manager in ManagedBy (older ones).
 * Both actions are verified by reading `Inserted`/`Image` back.
 */
import { BmcError, BmcErrorCode } from "../errors.js";
import type { VirtualMediaControl, VirtualMediaRequest } from "../types.js";
import type { RedfishHttp } from "./http.js";
import { linkOf, memberLinks, type Collection, type Manager, type VirtualMedia } from "./resources.js";
import type { SystemRef } from "./system.js";
import { awaitTask } from "./task-monitor.js";

type MediaKind = "cd" | "floppy";

/** VirtualMedia.MediaTypes that serve each kind. */
const KIND_TYPES: Readonly<Record<MediaKind, readonly string[]>> = {
  cd: ["CD", "DVD"],
  floppy: ["Floppy", "USBStick"],
};

export class RedfishVirtualMedia implements VirtualMediaControl {
  constructor(
    private readonly http: RedfishHttp,
    private readonly system: SystemRef,
    private readonly where: string,
  ) {}

  async insertMedia(req: VirtualMediaRequest, signal?: AbortSignal): Promise<void> {
    const kind = req.kind ?? "cd";
    const found = await this.device(kind, signal);
    const path = found.path;
    let media = found.media;
    if (media.Inserted === true && media.Image === req.imageUrl) return;
    if (media.Inserted === true) {
      await this.eject(path, media, signal);
      media = (await this.http.getResource<VirtualMedia>(path, signal)).body;
    }
    const action = media.Actions?.["#VirtualMedia.InsertMedia"]?.target;
    const body = { Image: req.imageUrl, Inserted: true, WriteProtected: true };
    const res =
      action !== undefined
        ? await this.http.request("POST", action, { body, signal })
        : await this.http.request("PATCH", path, { body, signal });
    await awaitTask(this.http, this.where, res, { signal });
    const after = (await this.http.getResource<VirtualMedia>(path, signal)).body;
    if (after.Inserted !== true || after.Image !== req.imageUrl) {
      throw new BmcError(BmcErrorCode.VerifyFailed, `${this.where}: InsertMedia was accepted but ${path} reports Inserted=${String(after.Inserted)}`);
    }
  }

  async ejectMedia(kind: MediaKind = "cd", signal?: AbortSignal): Promise<void> {
    const { path, media } = await this.device(kind, signal);
    if (media.Inserted !== true) return;
    await this.eject(path, media, signal);
    const after = (await this.http.getResource<VirtualMedia>(path, signal)).body;
    if (after.Inserted === true) {
      throw new BmcError(BmcErrorCode.VerifyFailed, `${this.where}: EjectMedia was accepted but ${path} still reports Inserted=true`);
    }
  }

  private async eject(path: string, media: VirtualMedia, signal?: AbortSignal): Promise<void> {
    const action = media.Actions?.["#VirtualMedia.EjectMedia"]?.target;
    const res =
      action !== undefined
        ? await this.http.request("POST", action, { body: {}, signal })
        : await this.http.request("PATCH", path, { body: { Image: null, Inserted: false }, signal });
    await awaitTask(this.http, this.where, res, { signal });
  }

  private async collectionPath(signal?: AbortSignal): Promise<string> {
    const { system } = await this.system.get(signal);
    const own = linkOf(system.VirtualMedia);
    if (own !== undefined) return own;
    for (const managerLink of system.Links?.ManagedBy ?? []) {
      const managerPath = linkOf(managerLink);
      if (managerPath === undefined) continue;
      const manager = (await this.http.getResource<Manager>(managerPath, signal)).body;
      const viaManager = linkOf(manager.VirtualMedia);
      if (viaManager !== undefined) return viaManager;
    }
    throw new BmcError(BmcErrorCode.NotSupported, `${this.where}: the BMC offers no VirtualMedia for this System`);
  }

  private async device(kind: MediaKind, signal?: AbortSignal): Promise<{ path: string; media: VirtualMedia }> {
    const collection = (await this.http.getResource<Collection>(await this.collectionPath(signal), signal)).body;
    for (const path of memberLinks(collection)) {
      const media = (await this.http.getResource<VirtualMedia>(path, signal)).body;
      if ((media.MediaTypes ?? []).some((t) => KIND_TYPES[kind].includes(t))) return { path, media };
    }
    throw new BmcError(BmcErrorCode.NotSupported, `${this.where}: no virtual ${kind} device (MediaTypes ${KIND_TYPES[kind].join("/")})`);
  }
}
