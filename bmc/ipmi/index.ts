/** The native IPMI v2.0 / RMCP+ driver: the one entry point the registry needs. */
export { createIpmiClient, displayAddress, type IpmiClient, type IpmiClientOptions } from "./client.js";
export type { IpmiTarget } from "./target.js";
export { PrivilegeLevel, parsePrivilegeLevel } from "./target.js";
export { ChassisControl } from "./commands/chassis.js";
export type { DeviceId } from "./commands/app.js";
export { presencePing } from "./presence.js";
