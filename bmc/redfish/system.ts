/**
 * The one ComputerSystem a Redfish client drives: named by the address, or
 * discovered when the service has exactly one (Metal3's rule for an address
 * without a System path).
 */
import { BmcError, BmcErrorCode } from "../errors.js";
import type { RedfishHttp } from "./http.js";
import { linkOf, memberLinks, type Collection, type ComputerSystem, type ServiceRoot } from "./resources.js";

export class SystemRef {
  private path: string | undefined;

  constructor(
    private readonly http: RedfishHttp,
    private readonly where: string,
    explicitPath: string | undefined,
  ) {
    this.path = explicitPath;
  }

  /** The System's URI, discovering it on first use. */
  async resolve(signal?: AbortSignal): Promise<string> {
    if (this.path !== undefined) return this.path;
    const { body: root } = await this.http.getResource<ServiceRoot>("/redfish/v1/", signal);
    const systemsPath = linkOf(root.Systems) ?? "/redfish/v1/Systems";
    const { body: systems } = await this.http.getResource<Collection>(systemsPath, signal);
    const members = memberLinks(systems);
    const only = members[0];
    if (members.length !== 1 || only === undefined) {
      const listed = members.length === 0 ? "none" : members.join(", ");
      throw new BmcError(
        BmcErrorCode.InvalidAddress,
        `${this.where}: the address names no System and the BMC has ${members.length} (${listed}); add the System's path to the address`,
      );
    }
    this.path = only;
    return only;
  }

  async get(signal?: AbortSignal): Promise<{ path: string; system: ComputerSystem; etag: string | undefined }> {
    const path = await this.resolve(signal);
    const found = await this.http.getResource<ComputerSystem>(path, signal, true);
    if (found === undefined) {
      throw new BmcError(BmcErrorCode.InvalidAddress, `${this.where}: the BMC has no System at ${path}`);
    }
    return { path, system: found.body, etag: found.etag };
  }
}
