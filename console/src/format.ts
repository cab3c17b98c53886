// Dates and durations as the console shows them: Asia/Shanghai, e.g. 2026-11-29 16:05.
const TZ = 'Asia/Shanghai';

const dateTime = new Intl.DateTimeFormat('en-CA', {
  timeZone: TZ,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

function parts(d: Date): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of dateTime.formatToParts(d)) out[p.type] = p.value;
  return out;
}

/** `2026-11-29 16:05` in Shanghai time; '—' for no date. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = parts(d);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** `2026-11-29`: the Shanghai calendar day of an instant. */
export function formatDate(iso: string | Date | null | undefined): string {
  if (!iso) return '—';
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = parts(d);
  return `${p.year}-${p.month}-${p.day}`;
}

/** Today in Shanghai, `YYYY-MM-DD`. */
export function todayInShanghai(now = new Date()): string {
  return formatDate(now);
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** How long since an instant, as whole days (or hours under a day), for "time at the step". */
export function elapsed(since: string, now = Date.now()): { unit: 'days' | 'hours'; n: number } {
  const ms = Math.max(0, now - new Date(since).getTime());
  if (ms >= DAY) return { unit: 'days', n: Math.floor(ms / DAY) };
  return { unit: 'hours', n: Math.floor(ms / HOUR) };
}

/** The last `n` months up to the one `now` falls in (Shanghai), oldest first, as `YYYY-MM`. */
export function lastMonths(n: number, now = new Date()): string[] {
  const [y, m] = todayInShanghai(now).split('-').map(Number) as [number, number];
  const out: string[] = [];
  for (let i = n - 1; i >= 0; i--) {
    const total = y * 12 + (m - 1) - i;
    out.push(`${Math.floor(total / 12)}-${String((total % 12) + 1).padStart(2, '0')}`);
  }
  return out;
}
