// The tenant the propagation benches flip (../propagation/real-server.ts, ../cluster/), made through
// a node's public API as an operator would: the root token creates a tenant; its admin key creates
// operator, viewer and sdk (production) keys, the flag `model.fable-5`, the segment
// `foreign-nationals` and the flag's config (a segment block, fail-closed; its patch is about 420 B).
const ENV = 'production';
const FLAG = 'model.fable-5';
const SEGMENT = 'foreign-nationals';

/**
 * `node` is {url, port} of a running node. Returns what ../propagation/real-target.mjs needs to flip
 * and read receipts, {port, env, flag, keys}, and the tenant's id.
 */
export async function setupTenant(node, rootToken, name) {
  const api = async (method, path, key, body) => {
    const res = await fetch(`${node.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const created = await api('POST', '/v1/tenants', rootToken, { name });
  const admin = created.adminKey;
  const keyOf = async (role, env) => (await api('POST', '/v1/keys', admin, { name: `bench ${role}`, role, ...(env ? { env } : {}) })).secret;
  const keys = { operator: await keyOf('operator'), viewer: await keyOf('viewer'), sdk: await keyOf('sdk', ENV) };
  await api('POST', '/v1/flags', admin, { key: FLAG, kind: 'boolean', description: 'Availability of fable-5', tags: ['model'] });
  await api('PUT', `/v1/envs/${ENV}/segments/${SEGMENT}`, keys.operator, {
    description: 'No US citizenship, or unknown',
    rules: [{ when: [{ attribute: 'nationality', op: 'notIn', values: ['US'] }] }],
    reason: 'benchmark setup',
  });
  await api('PUT', `/v1/envs/${ENV}/flags/${FLAG}`, keys.operator, {
    enabled: true,
    offVariant: 'off',
    rules: [{ id: 'r1', description: 'Export directive EXPORT-2026-001', when: [{ segment: [SEGMENT] }], serve: { variant: 'off' } }],
    fallthrough: { variant: 'on' },
    failMode: 'closed',
    reason: 'benchmark setup',
  });
  return { port: node.port, env: ENV, flag: FLAG, keys, tenant: created.tenant.id };
}
