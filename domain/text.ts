// Text the system accepts. PostgreSQL refuses NUL and lone surrogates; the other control characters hide in
// logs, exports and UIs. One check for every input: the API's request hook, the zod builders below, CSV cells.
import { z } from 'zod';

/** `single-line`: names, identifiers, every query or path parameter. `free-text`: a reason keeps \t, \n and \r. */
export type TextKind = 'single-line' | 'free-text';

// Any C0, DEL, C1 or surrogate code unit: only then is the string looked at closely (valid pairs pass there).
// eslint-disable-next-line no-control-regex -- finding them is the point
const SUSPECT = /[\u0000-\u001f\u007f-\u009f\ud800-\udfff]/;

function codePoint(c: number): string {
  return `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Why `s` is refused, or undefined: C0 (U+0000-U+001F), DEL (U+007F) and C1 (U+0080-U+009F) control characters
 * and lone UTF-16 surrogates; free text keeps tab, line feed and carriage return.
 */
export function textProblem(s: string, kind: TextKind = 'single-line'): string | undefined {
  if (!SUSPECT.test(s)) return undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) return `lone surrogate ${codePoint(c)} is not allowed`;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
      const lineBreakOrTab = c === 0x09 || c === 0x0a || c === 0x0d;
      if (lineBreakOrTab && kind === 'free-text') continue;
      return `control character ${codePoint(c)} is not allowed${lineBreakOrTab ? ' (a single line, without tabs)' : ''}`;
    }
  }
  return undefined;
}

function checked(kind: TextKind) {
  return z.string().superRefine((s, ctx) => {
    const problem = textProblem(s, kind);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** A name or an identifier: one line, no control characters (checked before trimming), `min`-`max` long after it. */
export function singleLine(max: number, min = 1) {
  return checked('single-line').trim().min(min).max(max);
}

/** A reason, an explanation, a summary: line breaks and tabs kept, no other control characters. */
export function freeText(max: number, min = 1) {
  return checked('free-text').trim().min(min).max(max);
}
