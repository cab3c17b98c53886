// Versioning: every recorded history in test/histories/ replays against the current workflow code.
// A change that would break open processes fails here until it is guarded with patched().
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { dataConverter } from './harness';
import { failureConverterPath } from '../temporal/codec';

const dir = join(import.meta.dirname, 'histories');
const histories = () =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown }));

describe('replay of recorded histories', () => {
  it('versioning: every recorded history (check-in, transfer, deletion, discipline, member change, join date, the age-out and health sweeps, the R22 campaign, its fan-out and its tasks) replays without a nondeterminism error', async () => {
    const all = histories();
    expect(all.filter((h) => h.workflowId.startsWith('check-in-')).length).toBeGreaterThanOrEqual(5);
    expect(all.filter((h) => h.workflowId.startsWith('transfer-')).length).toBeGreaterThanOrEqual(6);
    expect(all.filter((h) => h.workflowId.startsWith('discipline-')).length).toBeGreaterThanOrEqual(3);
    expect(all.filter((h) => h.workflowId.startsWith('deletion-')).length).toBeGreaterThanOrEqual(2);
    expect(all.filter((h) => h.workflowId.startsWith('member-change-')).length).toBeGreaterThanOrEqual(5);
    expect(all.filter((h) => h.workflowId.startsWith('join-date-')).length).toBeGreaterThanOrEqual(4);
    expect(all.filter((h) => h.workflowId.startsWith('age-out-sweep-')).length).toBeGreaterThanOrEqual(1);
    expect(all.filter((h) => h.workflowId.startsWith('health-check-')).length).toBeGreaterThanOrEqual(1);
    expect(all.filter((h) => h.workflowId.startsWith('campaign-task-')).length).toBeGreaterThanOrEqual(3);
    expect(all.filter((h) => h.workflowId.startsWith('campaign-fan-out-')).length).toBeGreaterThanOrEqual(2);
    expect(all.filter((h) => h.workflowId.startsWith('campaign-closed-')).length).toBeGreaterThanOrEqual(1);
    const replayed: string[] = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter, replayName: 'ci' }, all)) {
      expect(r.error, `${r.workflowId}: ${String(r.error)}`).toBeUndefined();
      replayed.push(r.workflowId);
    }
    expect(replayed.sort()).toEqual(all.map((h) => h.workflowId).sort());
  });

  it('versioning: an incompatible change without patched() is caught by the replay', async () => {
    const bundle = await bundleWorkflowCode({
      workflowsPath: join(import.meta.dirname, 'fixtures', 'check-in-changed.ts'),
      failureConverterPath,
      logger: { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} },
    });
    const checkIns = histories().filter((h) => h.workflowId.startsWith('check-in-'));
    let failures = 0;
    for await (const r of Worker.runReplayHistories({ workflowBundle: bundle, dataConverter, replayName: 'ci-changed' }, checkIns)) {
      expect(r.error).toBeInstanceOf(DeterminismViolationError);
      failures += 1;
    }
    expect(failures).toBe(checkIns.length);
  });
});
