// Types of bench-tenant.mjs, for ../propagation/real-server.ts.
export interface BenchTenant {
  port: number;
  env: string;
  flag: string;
  keys: { operator: string; viewer: string; sdk: string };
  tenant: string;
}

export function setupTenant(node: { url: string; port: number }, rootToken: string, name: string): Promise<BenchTenant>;
