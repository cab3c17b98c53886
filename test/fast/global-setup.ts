// The fast layer's one workflow bundle: webpack runs once per test run instead of once per test file (each file
// runs in a process of its own, with its own time-skipping server).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { bundleWorkflowCode } from '@temporalio/worker';

declare module 'vitest' {
  export interface ProvidedContext {
    fastWorkflowBundle: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'tuanwu-fast-'));
  const quiet = { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} };
  const bundle = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./workflows/index.ts', import.meta.url)), logger: quiet });
  const path = join(dir, 'fast-workflows.js');
  writeFileSync(path, bundle.code);
  project.provide('fastWorkflowBundle', path);
  return () => rmSync(dir, { recursive: true, force: true });
}
