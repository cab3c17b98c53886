// Issue 22: a process kind is declared once. Every registry keyed by kind (the declarations, the projections, the
// workflows the worker registers, the names in both languages the console shows) covers every kind, and what the API
// derives from a declaration (a decision's authorization, the kinds' steps) is consistent.
import { describe, expect, it } from 'vitest';
import { ProcessKind } from '../domain/processes';
import { DECLARATIONS } from '../processes';
import { PROJECTIONS } from '../activities';
import { PREPARATIONS } from '../api/decision-preparations';
import { processKinds } from '../api/process-steps';
import * as workflows from '../workflows';

const KINDS = ProcessKind.options;

describe('issue 22: one registry per process kind', () => {
  it('issue 22: every kind has its declaration, keyed by its own kind, started under a workflow type the worker registers', () => {
    for (const kind of KINDS) {
      const d = DECLARATIONS[kind];
      expect(d, kind).toBeDefined();
      expect(d.kind).toBe(kind);
      expect(Object.keys(workflows), `${kind}: workflows/index.ts exports ${d.workflowType}`).toContain(d.workflowType);
      if (d.prepare) expect(PREPARATIONS[d.prepare], `${kind}: preparation ${d.prepare}`).toBeTypeOf('function');
    }
    expect(Object.keys(DECLARATIONS).sort()).toEqual([...KINDS].sort());
  });

  it('issue 22: every kind has its projection entry (null only where its activities write its rows themselves)', () => {
    expect(Object.keys(PROJECTIONS).sort()).toEqual([...KINDS].sort());
  });

  it('issue 22: a decision needs one authorization per kind, whichever step takes it, and every step offers "extend" only with R3/R9', () => {
    for (const kind of KINDS) {
      const byAction = new Map<string, string>();
      for (const [step, s] of Object.entries(DECLARATIONS[kind].steps)) {
        for (const [action, rule] of Object.entries(s.decisions)) {
          const seen = byAction.get(action);
          expect(seen === undefined || seen === rule!.authz, `${kind}.${step}.${action}: ${rule!.authz} vs ${seen}`).toBe(true);
          byAction.set(action, rule!.authz);
          if (action === 'extend') expect(rule!.authz).toBe('deadline.extend');
        }
      }
    }
  });

  it('issue 22: every kind and every step is named in Chinese and in English by its declaration, which GET /api/process-kinds hands the console', () => {
    const listed = processKinds();
    expect(listed.map((k) => k.kind).sort()).toEqual([...KINDS].sort());
    for (const { kind, names, steps } of listed) {
      expect(names['zh-CN'], `${kind} zh-CN`).toMatch(/\p{Script=Han}/u);
      expect(names.en, `${kind} en`).toMatch(/^[A-Z]/);
      expect(steps.map((s) => s.step)).toEqual(Object.keys(DECLARATIONS[kind].steps));
      for (const step of steps) {
        expect(step.names['zh-CN'], `${kind}.${step.step} zh-CN`).toMatch(/\p{Script=Han}/u);
        expect(step.names.en, `${kind}.${step.step} en`).toMatch(/^[A-Z]/);
      }
    }
  });
});
