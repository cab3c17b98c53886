// The skeleton every process runs on. A process declares its steps (processes/<kind>.ts); the skeleton
// does the rest: the one "recorded" update, the first write with its refusal, the one event append with its
// keys, a deadline watch per step visit, decisions through the one `decide` update and its validator, the
// extension of a deadline, and closing. A workflow file keeps only what is particular to its process.
import { allHandlersFinished, condition, proxyActivities, proxyLocalActivities, setHandler, type ApplicationFailure } from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { ProcessActivities, ProcessEventInput, ProcessPatch, RecordedEvent } from '../activities/processes';
import { decideUpdate, memberLeftSignal, recordedUpdate, stateQuery, type MemberLeft } from '../processes/messages';
import type { ProcessDefinition, Recorded } from '../processes/definition';
import type { DecisionCommand, ProcessStatus } from '../domain/processes';
import type { OrgRef } from '../domain/orgs';
import { ProcessSteps } from './steps';
import { LOCAL_ACTIVITY_OPTIONS, UPDATE_WRITE_OPTIONS } from './options';
import { applicationFailureIn, decisionShapeProblem, extensionProblem, refuse } from './refusals';

const local = proxyLocalActivities<ProcessActivities>(LOCAL_ACTIVITY_OPTIONS);
const withUpdate = proxyActivities<ProcessActivities>(UPDATE_WRITE_OPTIONS);

/** An event as a workflow gives it; the skeleton adds the key, the process, the member, the kind and the outcome. */
export type ProcessEvent = Omit<ProcessEventInput, 'key' | 'processId' | 'memberId' | 'type' | 'orgId' | 'kind' | 'outcome'> & { orgId?: string };

export interface ProcessOptions {
  processId: string;
  memberId: string | null;
  /** R9: a step whose timeout decides ("approve", "lapse") instead of escalating hands the deadline to the process. */
  onTimeout?: (effect: 'approve' | 'lapse') => void;
}

export interface DecisionHandlers {
  /** Applies a decision the validator admitted; "extend" never reaches it (the skeleton extends). */
  decide(cmd: DecisionCommand): Promise<void>;
  /** What the process checks beyond its declaration (the skeleton checked state, step, action, role and reason). */
  validate?(cmd: DecisionCommand): void;
}

export class Process<S extends string, C> extends ProcessSteps<S> {
  #recorded = false;
  #refusal: ApplicationFailure | undefined;
  #sequence = 0;
  /** Updates being handled whose writes are not done yet (see `update`). */
  #writing = 0;
  /** True only while an update handler runs its synchronous part. */
  #inHandler = false;

  constructor(
    readonly definition: ProcessDefinition<S, C>,
    readonly data: C,
    private readonly options: ProcessOptions,
  ) {
    const { steps, home } = definition;
    super({
      processId: options.processId,
      memberId: options.memberId,
      first: definition.first(data),
      label: Object.fromEntries(Object.entries(steps).map(([s, d]) => [s, (d as { label: string }).label])) as Record<S, string>,
      actingOrg: (s) => steps[s].acting(data),
      timing: (s) => steps[s].timing(data),
      onTimeout: options.onTimeout,
      home: home ? () => home(data) : undefined,
      ...(definition.projectsDeadlines ? { deadlineKind: definition.kind } : {}),
    });
  }

  get processId(): string {
    return this.options.processId;
  }

  get recorded(): boolean {
    return this.#recorded;
  }

  /** Handlers act only once the first write is done; if the database refused it, they fail with that refusal. */
  readonly ready = async (): Promise<void> => {
    await condition(() => this.#recorded || this.#refusal !== undefined);
    if (this.#refusal) throw this.#refusal;
  };

  /**
   * An update that changes the process: its validator, then its handler. The handler's synchronous part
   * (the state change) runs at once, so a second update in the same moment fails validation.
   *
   * The write a handler asks for synchronously (its first) is a regular activity, scheduled in the same
   * workflow task completion that records the update as accepted. Were it a local activity run inside the task
   * accepting the update, a worker lost before the task completed would leave the write in the database while
   * Temporal never recorded the update (the read model approved, the workflow still pending, a retry refused as
   * "already approved"). The writes a handler makes after its first (and every timer's) stay local: the update
   * is durable by then.
   */
  update<R, A extends unknown[]>(def: UpdateDefinition<R, A>, handler: (...args: A) => Promise<R>, validator: (...args: A) => void): void {
    const accepting = (...args: A): Promise<R> => {
      this.#writing += 1;
      this.#inHandler = true;
      try {
        return handler(...args).finally(() => (this.#writing -= 1));
      } finally {
        this.#inHandler = false;
      }
    };
    setHandler(def, accepting, { validator });
  }

  /** Whether a write asked for now is an update handler's first, made durable with the update (see `update`). */
  protected override writesWithUpdate(): boolean {
    return this.#inHandler;
  }

  /**
   * The process moves on (its next step, what it does once closed) only once the updates being handled have
   * written: their events land in order, and nothing acts on a decision not yet written.
   */
  #settled(): Promise<void> | undefined {
    return this.#writing > 0 ? condition(() => this.#writing === 0) : undefined;
  }

  /** The state query, the `decide` update with the declaration's validator, and the one "recorded" update. */
  handle(h: DecisionHandlers): this {
    setHandler(stateQuery, () => this.state());
    this.update(decideUpdate, this.decisionHandler(h.decide, this.ready), (cmd) => this.validate(cmd, h.validate));
    const answer = async (): Promise<Recorded> => {
      await this.ready();
      return { processId: this.processId, step: this.step, deadline: new Date(this.watch.deadline).toISOString() };
    };
    setHandler(recordedUpdate, answer);
    setHandler(memberLeftSignal, (left) => this.memberLeft(left));
    return this;
  }

  /**
   * R25: the member left while this process was open (another process deleted, expelled, removed them; age-out;
   * transferred out): it ends `void`, saying why, in its own timeline. A process not yet recorded, or closed, ignores it.
   */
  private async memberLeft(left: MemberLeft): Promise<void> {
    if (!this.pending || !this.#recorded) return;
    const patch = this.close('void');
    await this.record('process.member-left', {
      payload: { status: left.status, byProcessId: left.byProcessId, rule: 'R25' },
      patch,
      notify: [{ recipientOrgId: this.acting.id, kind: 'decision', message: `Ended: the member is ${left.status} (R25)` }],
    });
  }

  /** The declaration's checks, in a validator: refused decisions write nothing to history. */
  validate(cmd: DecisionCommand, particular?: (cmd: DecisionCommand) => void): void {
    const shape = decisionShapeProblem(cmd);
    if (shape) refuse('invalid', `bad decision: ${shape}`);
    const { noun, rule, steps } = this.definition;
    this.refuseUnlessAt(cmd, noun, rule);
    const step = steps[this.step];
    if (step.decidedElsewhere) refuse('rule', step.decidedElsewhere.message, step.decidedElsewhere.rule);
    const decision = step.decisions[cmd.action];
    if (!decision) refuse('rule', `"${cmd.action}" is not possible at the step "${this.step}"`, rule);
    this.refuseUnlessRole(cmd.actorRole, decision.roles, decision.rule);
    if (decision.reason && !cmd.reason) refuse('rule', `"${cmd.action}" needs a reason`, decision.reason === true ? decision.rule : decision.reason);
    if (cmd.action === 'extend') extensionProblem(cmd, this.watch);
    particular?.(cmd);
  }

  /** In a validator of a process's own update (e.g. a record of the step): open, at one of these steps, the right role. */
  refuseUnlessActor(a: { actorRole?: string; step?: string }, at: S[], roles: readonly string[]): void {
    const { noun, rule } = this.definition;
    this.refuseUnlessAt(a, noun, rule);
    if (!at.includes(this.step)) refuse('rule', `not possible at the step "${this.step}"`, rule);
    this.refuseUnlessRole(a.actorRole, roles, rule);
  }

  private refuseUnlessRole(role: string | undefined, roles: readonly string[] | undefined, rule: string): void {
    if (roles && !roles.includes(role ?? '')) refuse('forbidden', `the step "${this.step}" is decided by ${roles.join(' or ') || 'nobody'}`, rule);
  }

  /**
   * The first write (the process's own row, its member, its first event), once. If the database refuses it
   * with one of `refusals` (an ApplicationFailure type), nothing was written: the process ends rejected and
   * the waiting "recorded" update fails with that refusal. Returns whether the process goes on.
   */
  async open(write: (first: ProcessPatch) => Promise<unknown>, refusals: readonly string[] = []): Promise<boolean> {
    const { step, acting, watch } = this;
    try {
      await write({ step, org: { id: acting.id, path: acting.path }, deadline: new Date(watch.deadline).toISOString() });
    } catch (e) {
      const failure = applicationFailureIn(e);
      if (!failure?.type || !refusals.includes(failure.type)) throw e;
      this.#refusal = failure;
      this.status = 'rejected';
      await condition(allHandlersFinished);
      return false;
    }
    this.#recorded = true;
    return true;
  }

  /**
   * The one event append. Keyed by the process and a sequence number, so a retried activity writes nothing
   * twice; the closing event carries the outcome, and the kind's projection applies it (activities/).
   */
  async record(type: string, e: ProcessEvent): Promise<void> {
    this.#sequence += 1;
    const key = `${this.processId}:${this.#sequence}:${type}`;
    const orgId = e.orgId ?? this.acting.id;
    const durable = this.writesWithUpdate();
    await this.ready();
    const outcome = this.pending ? undefined : this.status;
    const append = durable ? withUpdate.recordProcessEvent : local.recordProcessEvent;
    const written = (await append({
      ...e,
      key,
      processId: this.processId,
      memberId: this.options.memberId,
      type,
      orgId,
      kind: this.definition.kind,
      outcome,
    })) as RecordedEvent | undefined;
    // R25: the effect on the member was no longer legal: the append wrote `process.voided`; the process ends so.
    if (written?.void) this.close('void');
  }

  /** A task notice to the organization that must decide next. */
  task(org: OrgRef): NonNullable<ProcessEvent['notify']> {
    return [{ recipientOrgId: org.id, kind: 'task', message: `${this.definition.steps[this.step].label}: your decision is needed` }];
  }

  /**
   * Waits out each step visit under its own deadline watch until the process closes. `wake` ends a visit's
   * wait early (a signal, a timeout that decides) and `woken` handles it; a step in `at` is run by the process
   * itself instead (a timer, a child process).
   */
  async run(o: { wake?: (step: S) => boolean; woken?: (step: S) => Promise<void>; at?: Partial<Record<S, () => Promise<void>>> } = {}): Promise<void> {
    for (;;) {
      const settled = this.#settled();
      if (settled) await settled;
      if (!this.pending) break;
      const step = this.step;
      const own = o.at?.[step];
      if (own) {
        await own();
        continue;
      }
      const visit = this.visits;
      await this.watch.run(() => !this.pending || this.visits !== visit || (o.wake?.(step) ?? false));
      if (this.pending && this.visits === visit && o.woken) await o.woken(step);
    }
  }

  /** Waits for every handler (a decision being written) to finish, so nothing accepted is cut off. */
  async finish<R extends object>(result: R = {} as R): Promise<{ processId: string; status: ProcessSteps<S>['status'] } & R> {
    await condition(allHandlersFinished);
    return { processId: this.processId, status: this.status, ...result };
  }
}

/** What a process workflow returns: its ID and outcome, and what its kind adds (a case's sanction). */
export type ProcessResult<R extends object = object> = { processId: string; status: ProcessStatus } & R;

/**
 * The one shape of a process workflow, as in the anchors' safe-message-handlers sample: a class per process that
 * holds its skeleton process (`p`) and adds what is particular to its kind: its decisions (`decide`, `validate`),
 * its own messages (`setHandlers`) and its course (`execute`: the first write, the steps, what closing does).
 * The workflow function only runs it: `export async function checkIn(input) { return new CheckInRun(input).run(); }`.
 */
export abstract class ProcessRun<S extends string, C, R extends object = object> {
  readonly p: Process<S, C>;

  constructor(definition: ProcessDefinition<S, C>, data: C, options: ProcessOptions) {
    this.p = new Process(definition, data, options);
  }

  /** Applies a decision the declaration admitted, at the step the process is at; "extend" never reaches it. */
  abstract decide(cmd: DecisionCommand): Promise<void>;

  /** What the process checks beyond its declaration (the skeleton checked state, step, action, role and reason). */
  validate(_cmd: DecisionCommand): void {}

  /** The process's own messages, beside the skeleton's (state, `decide`, `recorded`, member-left). */
  protected setHandlers(): void {}

  /** The first write, the steps until the process closes, and what it does then. */
  protected abstract execute(): Promise<ProcessResult<R>>;

  /** Every handler first (a message may arrive with the start), then the course. */
  run(): Promise<ProcessResult<R>> {
    this.p.handle({ decide: (cmd) => this.decide(cmd), validate: (cmd) => this.validate(cmd) });
    this.setHandlers();
    return this.execute();
  }
}
