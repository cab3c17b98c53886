// The graduates' roster in the browser: read the file, detect its encoding (UTF-8, else GB18030/GBK), and split a
// large CSV into chunks of rows, each with the header, sent with ?firstLine= so line numbers stay the file's.
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export interface RosterChunk {
  /** The file line the chunk's header stands for: its first row is line firstLine + 1. */
  firstLine: number;
  body: string;
  rows: number;
}

export function isXlsx(file: File): boolean {
  return /\.xlsx$/i.test(file.name) || file.type === XLSX_TYPE;
}

export function isCsv(file: File): boolean {
  return /\.csv$/i.test(file.name) || file.type === 'text/csv';
}

/** UTF-8 (with or without BOM) if the bytes are valid UTF-8, else GB18030 (a superset of GBK), as Excel saves in China. */
export function decodeCsv(bytes: ArrayBuffer): { text: string; encoding: 'utf-8' | 'gb18030' } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, ''), encoding: 'utf-8' };
  } catch {
    return { text: new TextDecoder('gb18030').decode(bytes), encoding: 'gb18030' };
  }
}

/** Chunks of `size` rows each; blank lines inside a chunk are sent along so each row keeps its line number. */
export function chunkCsv(text: string, size: number): { total: number; chunks: RosterChunk[] } {
  const all = text.split(/\r?\n/);
  const header = all[0] ?? '';
  const rows: number[] = [];
  for (let i = 1; i < all.length; i++) if (all[i]!.trim() !== '') rows.push(i);
  const chunks: RosterChunk[] = [];
  for (let k = 0; k < rows.length; k += size) {
    const part = rows.slice(k, k + size);
    const from = part[0]!;
    const to = part[part.length - 1]!;
    chunks.push({ firstLine: from, body: `${[header, ...all.slice(from, to + 1)].join('\n')}\n`, rows: part.length });
  }
  return { total: rows.length, chunks };
}

/** The batch key (Idempotency-Key): the same file gives the same key, so sending it again starts nothing twice. */
export async function batchKeyOf(bytes: ArrayBuffer): Promise<string> {
  if (globalThis.crypto?.subtle) {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return `roster-${[...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
  }
  // Not a secure context (plain http on another host): FNV-1a, enough to tell files apart.
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  const view = new Uint8Array(bytes);
  for (let i = 0; i < view.length; i++) {
    h1 = Math.imul(h1 ^ view[i]!, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ view[view.length - 1 - i]!, 0x01000193) >>> 0;
  }
  return `roster-${h1.toString(16).padStart(8, '0')}${h2.toString(16).padStart(8, '0')}`;
}
