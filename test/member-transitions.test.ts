// R25: the transition table and the table of processes open together, as data; and that nothing but the one writer
// (db/member-state.ts) writes a member's status or branch.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MEMBER_STATUSES } from '../domain/member-status';
import { LEFT_STATUSES, MEMBER_TRANSITIONS, OPEN_TOGETHER, isLegal, mayBeOpenTogether, statusAfter, type MemberEffect } from '../domain/member-transitions';
import { ProcessKind } from '../domain/processes';

const ROOT = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    // Tests and the bench plant data on purpose; the console never reaches the database.
    if (['node_modules', 'test', 'bench', 'dist', '.data', '.git', 'console'].includes(name)) return [];
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

describe('R25 the transition table', () => {
  it('R25: no effect leads a member who left back to active, but the ways back the rules name (R10/R16 check-in, R23 revocation)', () => {
    for (const [effect, t] of Object.entries(MEMBER_TRANSITIONS) as [MemberEffect, (typeof MEMBER_TRANSITIONS)[MemberEffect]][]) {
      for (const from of t.from) {
        const to = statusAfter(effect, from);
        if (LEFT_STATUSES.includes(from) && to === 'active') expect(['check-in.approve', 'revoke'], `${effect} from ${from}`).toContain(effect);
      }
    }
    expect(isLegal('check-in.approve', 'expelled')).toBe(false);
    expect(isLegal('delete', 'expelled')).toBe(false);
    expect(isLegal('transfer.in', 'deleted')).toBe(false);
    expect(isLegal('sanction.mark', 'deleted')).toBe(false);
  });

  it('R25: every status is a known one, and every effect starts from at least one', () => {
    for (const t of Object.values(MEMBER_TRANSITIONS)) {
      expect(t.from.length).toBeGreaterThan(0);
      for (const s of t.from) expect(MEMBER_STATUSES).toContain(s);
      if (t.to !== 'same') expect(MEMBER_STATUSES).toContain(t.to);
    }
  });

  it('R25: which processes may be open together is a symmetric table over every member process kind', () => {
    const kinds = ProcessKind.options.filter((k) => k !== 'campaign');
    for (const a of kinds) {
      expect(OPEN_TOGETHER[a as keyof typeof OPEN_TOGETHER], a).toBeDefined();
      for (const b of kinds) if (a !== b) expect(mayBeOpenTogether(a, b), `${a} × ${b}`).toBe(mayBeOpenTogether(b, a));
    }
    // R18: a case binds the member to the branch.
    expect(mayBeOpenTogether('transfer', 'discipline')).toBe(false);
  });

  it('R25: only db/member-state.ts writes members.status or members.branch_id (and creates member records)', () => {
    const offenders: string[] = [];
    for (const file of sources(ROOT)) {
      const rel = relative(ROOT, file);
      if (rel === 'db/member-state.ts' || rel.startsWith('db/migrations/')) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(updateTable|insertInto)\(\s*'members'\s*\)[\s\S]{0,400}?\.execute/g)) {
        if (/\b(status|branch_id)\s*[:,]|\{\s*\.\.\.|insertInto/.test(m[0].replace(/status_process_id|'status'\s*,\s*'='/g, '')))
          offenders.push(`${rel}: ${m[0].slice(0, 80)}`);
      }
      if (/update\s+members\s+set[^;]*\b(status|branch_id)\s*=/i.test(text)) offenders.push(`${rel}: raw SQL`);
    }
    expect(offenders).toEqual([]);
  });
});
