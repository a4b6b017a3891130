// wrangler bundles `.sql` imports as text (the Text rule in wrangler.toml).
declare module "*.sql" {
  const text: string;
  export default text;
}
