/** Instants for people: UTC to the second, and how long ago. */
export function instantText(iso: string | null | undefined): string {
  if (!iso) return "–";
  return iso.replace(/\.\d+Z$/, "Z");
}

export function agoText(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "–";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}
