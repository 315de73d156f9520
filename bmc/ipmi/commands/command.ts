/** One IPMI command: how to build its request and read its response data. */
export interface IpmiCommand<T> {
  /** The spec's name, used in error messages and completion code lookup. */
  readonly name: string;
  readonly netFn: number;
  readonly cmd: number;
  readonly data: Uint8Array;
  /** Reads the response data after the completion code. */
  decode(data: Buffer): T;
}
