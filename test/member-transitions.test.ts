// R25: the transition table and the table of processes open together, as data; and that nothing but the one writer
// (db/member-state.ts) writes a member's status or branch.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MEMBER_STATUSES } from '../domain/member-status';
import { LEFT_STATUSES, MEMBER_TRANSITIONS, OPEN_TOGETHER, isLegal, mayBeOpenTogether, statusAfter, type MemberEffect } from '../domain/member-transitions';
import { ProcessKind } from '../domain/processes';
import { transitionMember } from '../db/member-state';
import { idNumber, useSystemWithTree } from './harness';
import { randomUUID } from 'node:crypto';

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

describe('R25 the one writer, on PostgreSQL', () => {
  const ctx = useSystemWithTree();
  /** What each effect needs beyond the member (its branch, its sanction, the case it revokes). */
  const args = (effect: MemberEffect, processId: string) =>
    effect === 'check-in.approve' || effect === 'transfer.in'
      ? { branchId: ctx.tree.ids.branch2 }
      : effect === 'revoke'
        ? { revokes: { processId, sanction: 'probation' } }
        : effect.startsWith('sanction.') || effect === 'probation.expel'
          ? { sanction: 'warning' }
          : {};

  it('R25: every effect from every status: applied exactly where the table allows it, refused (R25, the record untouched) everywhere else', async () => {
    const { db } = ctx.sys;
    for (const effect of Object.keys(MEMBER_TRANSITIONS) as MemberEffect[]) {
      for (const status of MEMBER_STATUSES) {
        const id = randomUUID();
        const setBy = randomUUID();
        // A first check-in's record is not locked yet (R4); every other record was approved once.
        const first = ['pending', 'returned', 'withdrawn'].includes(status);
        await db
          .insertInto('members')
          .values({
            id,
            name: '测试',
            id_number: idNumber(),
            join_date: '2020-05-04',
            branch_id: ctx.tree.ids.branch1,
            status,
            sanction: status === 'probation' ? 'probation' : null,
            details: '{}',
            locked_at: first ? null : new Date(),
            status_process_id: setBy,
            updated_at: new Date(),
          })
          .execute();
        const before = await db.selectFrom('members').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        const r = await db
          .transaction()
          .execute((tx) => transitionMember(tx, { memberId: id, effect, processId: null, now: new Date(), ...args(effect, setBy) }));
        const after = await db.selectFrom('members').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        const what = `${effect} from ${status}`;
        if (!isLegal(effect, status)) {
          expect(r.ok, what).toBe(false);
          if (!r.ok) expect(r.rule, what).toBe('R25');
          expect(after, what).toEqual(before);
        } else if (r.ok) {
          expect(after.status, what).toBe(r.to);
          expect(r.to, what).toBe(effect === 'revoke' ? 'active' : statusAfter(effect, status));
          if (r.to !== status) expect(after.status_changed_at, what).not.toBeNull();
        } else {
          // Legal by status, but not for this record: a former member's check-in return (R2), a revocation of a sanction
          // this record does not carry (R23). Nothing changes.
          expect(['check-in.return', 'check-in.withdraw', 'check-in.approve', 'revoke'], what).toContain(effect);
          expect(after, what).toEqual(before);
        }
      }
    }
  });
});
