// Pure rules from domain/: identifiers, profile rules, durations, authorization.
import { describe, expect, it } from 'vitest';
import { creditCodeProblem, idNumberProblem, maskIdNumber, redactIdNumbers, withCreditCheckChar, withIdCheckDigit } from '../domain/identifiers';
import { profileRuleProblems, Profile } from '../domain/members';
import { parseDuration, stepTimingFromEnv, DEFAULT_CHECK_IN_TIMING } from '../domain/durations';
import { isAllowed, relationOf, type Principal } from '../domain/authz';
import { cityLevelOf, nearestCommitteeOf, orderForImport, OrgInput } from '../domain/orgs';

const TODAY = new Date('2026-11-22T00:00:00Z');

describe('ID numbers (GB 11643-1999)', () => {
  it('accepts valid numbers, including an X check character', () => {
    expect(idNumberProblem('11010519491231002X', TODAY)).toBeUndefined();
    expect(idNumberProblem('440524188001010014', TODAY)).toBe('birth-date'); // born 1880: no living member
    expect(idNumberProblem(withIdCheckDigit('44030420050315123'), TODAY)).toBeUndefined();
  });
  it('refuses a wrong check digit', () => {
    expect(idNumberProblem('110105194912310021', TODAY)).toBe('check-digit');
  });
  it('refuses an impossible or future birth date', () => {
    expect(idNumberProblem(withIdCheckDigit('11010520230230123'), TODAY)).toBe('birth-date');
    expect(idNumberProblem(withIdCheckDigit('11010520991231123'), TODAY)).toBe('birth-date');
  });
  it('refuses the wrong length or characters', () => {
    expect(idNumberProblem('11010519491231002', TODAY)).toBe('format');
    expect(idNumberProblem('1101051949123100AX', TODAY)).toBe('format');
  });
  it('masks and redacts: never the full number in lists or logs', () => {
    expect(maskIdNumber('11010519491231002X')).toBe('1101************2X');
    expect(redactIdNumbers('member 11010519491231002X refused')).toBe('member 1101************2X refused');
  });
});

describe('unified social credit codes (GB 32100-2015)', () => {
  it('R20: accepts a valid code', () => {
    expect(creditCodeProblem('91350100M000100Y43')).toBeUndefined();
    expect(creditCodeProblem(withCreditCheckChar('12440000MB2C61234'))).toBeUndefined();
  });
  it('R20: refuses a wrong check character, a forbidden letter, and a bad region', () => {
    expect(creditCodeProblem('91350100M000100Y44')).toBe('check-digit');
    expect(creditCodeProblem('91350100M000100I43')).toBe('format');
    expect(creditCodeProblem('91AB0100M000100Y43')).toBe('format');
  });
  it('R20: the organization schema reports the field', () => {
    const r = OrgInput.safeParse({ id: 'x1', parentId: null, name: 'x', kind: 'committee', creditCode: '91350100M000100Y44' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['creditCode']);
  });
});

describe('profile rules', () => {
  const id = withIdCheckDigit('44030420020315123'); // born 2002-03-15
  it('R19: 14 or older at the join date', () => {
    expect(profileRuleProblems({ idNumber: id, joinDate: '2016-03-15', developmentNumber: undefined }, TODAY)).toEqual([]);
    const young = profileRuleProblems({ idNumber: id, joinDate: '2016-03-14', developmentNumber: undefined }, TODAY);
    expect(young.map((p) => p.rule)).toEqual(['R19']);
  });
  it('R19: a join date in the future is refused', () => {
    expect(profileRuleProblems({ idNumber: id, joinDate: '2027-01-01', developmentNumber: 'D1234' }, TODAY)[0]?.field).toBe('profile.joinDate');
  });
  it('R19: from 2017 a development number is required', () => {
    expect(profileRuleProblems({ idNumber: id, joinDate: '2017-01-01', developmentNumber: undefined }, TODAY)[0]?.field).toBe('profile.developmentNumber');
    expect(profileRuleProblems({ idNumber: id, joinDate: '2017-01-01', developmentNumber: 'D2017-1' }, TODAY)).toEqual([]);
  });
  it('normalizes a lower-case x in the ID number', () => {
    const p = Profile.parse({ name: 'a', idNumber: '11010519491231002x', joinDate: '1965-01-01' });
    expect(p.idNumber).toBe('11010519491231002X');
  });
});

describe('durations are configuration', () => {
  it('R3: defaults are 10 natural days, reminders 3 and 1 days before, daily escalation', () => {
    expect(stepTimingFromEnv('X', DEFAULT_CHECK_IN_TIMING, {})).toEqual({
      deadlineMs: 10 * 86_400_000,
      reminderOffsetsMs: [3 * 86_400_000, 86_400_000],
      escalationIntervalMs: 86_400_000,
      naturalDays: true,
    });
  });
  it('R3: the environment overrides them, and a reminder after the deadline is refused', () => {
    expect(stepTimingFromEnv('X', DEFAULT_CHECK_IN_TIMING, { X_DEADLINE: '4s', X_REMINDERS: '3s,1500ms', X_ESCALATION_INTERVAL: '1s' })).toEqual({
      deadlineMs: 4000,
      reminderOffsetsMs: [3000, 1500],
      escalationIntervalMs: 1000,
    });
    expect(() => stepTimingFromEnv('X', DEFAULT_CHECK_IN_TIMING, { X_DEADLINE: '1d', X_REMINDERS: '2d' })).toThrow(/X_REMINDERS/);
    expect(() => parseDuration('ten days')).toThrow(/not a duration/);
  });
});

describe('authorization table', () => {
  const sec: Principal = { actorId: 'a', role: 'branch_secretary', orgId: 'b1', orgPath: 'p/c/b1/', memberId: null };
  const city: Principal = { actorId: 'c', role: 'committee_admin', orgId: 'c', orgPath: 'p/c/', memberId: null };
  const member: Principal = { actorId: 'm', role: 'member', orgId: null, orgPath: null, memberId: 'm1' };
  it('relations follow the materialized path, not string prefixes of ids', () => {
    expect(relationOf('p/c/', 'p/c/b1/')).toBe('ancestor');
    expect(relationOf('p/c/', 'p/c2/b1/')).toBe('unrelated');
    expect(relationOf('p/c/b1/', 'p/c/')).toBe('descendant');
  });
  it('R1: the branch decides; R3: a committee above extends; R2: only the member withdraws', () => {
    expect(isAllowed(sec, 'check-in.approve', { orgPath: 'p/c/b1/' })).toBe(true);
    expect(isAllowed(sec, 'check-in.approve', { orgPath: 'p/c/b2/' })).toBe(false);
    expect(isAllowed(city, 'check-in.approve', { orgPath: 'p/c/b1/' })).toBe(false);
    expect(isAllowed(city, 'deadline.extend', { orgPath: 'p/c/b1/' })).toBe(true);
    expect(isAllowed(sec, 'deadline.extend', { orgPath: 'p/c/b1/' })).toBe(false);
    expect(isAllowed(member, 'check-in.withdraw', { orgPath: 'p/c/b1/', memberId: 'm1' })).toBe(true);
    expect(isAllowed(member, 'check-in.withdraw', { orgPath: 'p/c/b1/', memberId: 'm2' })).toBe(false);
    expect(isAllowed(member, 'check-in.approve', { orgPath: 'p/c/b1/', memberId: 'm1' })).toBe(false);
  });
});

describe('organization import order', () => {
  it('R20: children may come before parents; an unknown parent is reported', () => {
    const o = (id: string, parentId: string | null) => OrgInput.parse({ id, parentId, name: id, kind: parentId ? 'branch' : 'committee' });
    const { ordered, problems } = orderForImport([o('b', 'a'), o('a', null), o('x', 'nowhere')], new Set());
    expect(ordered.map((x) => x.id)).toEqual(['a', 'b']);
    expect(problems).toEqual([{ index: 2, message: 'parent nowhere is unknown (or forms a cycle)' }]);
  });
});

describe('where a decision goes up the tree (issue 20: one function each)', () => {
  it('R3/R18: the nearest committee above passes over a general branch; R14: the city-level committee is the province root’s child, the province for a branch right under it', () => {
    const kinds: Record<string, string> = { gd: 'committee', sz: 'committee', ns: 'committee', gb: 'general_branch', b1: 'branch' };
    const isCommittee = (id: string) => kinds[id] === 'committee';
    expect(nearestCommitteeOf('gd/sz/ns/gb/b1/', isCommittee)).toBe('ns');
    expect(nearestCommitteeOf('gd/sz/b1/', isCommittee)).toBe('sz');
    expect(nearestCommitteeOf('gd/', isCommittee)).toBeUndefined();
    expect(cityLevelOf('gd/sz/ns/gb/b1/')).toBe('sz');
    expect(cityLevelOf('gd/b1/')).toBe('gd');
  });
});
