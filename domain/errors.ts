// One vocabulary of refusals, shared by the API (HTTP status) and workflows (update validators).

export type ProblemKind = 'invalid' | 'unauthenticated' | 'forbidden' | 'not-found' | 'conflict' | 'rule' | 'unavailable';

export const HTTP_STATUS: Record<ProblemKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  rule: 422,
  /** Temporarily unable to confirm (no worker answered in time); safe to send again. */
  unavailable: 503,
};

export interface FieldProblem {
  field: string;
  message: string;
  rule?: string;
}

export interface Problem {
  kind: ProblemKind;
  message: string;
  rule?: string;
  fields?: FieldProblem[];
}

/** A refusal the caller can act on. Thrown anywhere outside workflows; the API maps it to 4xx. */
export class DomainError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message);
    this.name = 'DomainError';
  }
  static rule(rule: string, message: string, fields?: FieldProblem[]): DomainError {
    return new DomainError({ kind: 'rule', rule, message, fields });
  }
  static conflict(message: string, rule?: string): DomainError {
    return new DomainError({ kind: 'conflict', message, rule });
  }
  static notFound(message: string): DomainError {
    return new DomainError({ kind: 'not-found', message });
  }
  static forbidden(message: string): DomainError {
    return new DomainError({ kind: 'forbidden', message });
  }
}

export function isProblemKind(s: unknown): s is ProblemKind {
  return typeof s === 'string' && s in HTTP_STATUS;
}

/** An error and the causes it carries (`cause`), outermost first: where a driver's or gRPC's code is found. */
export function* causes(e: unknown, depth = 10): Generator<{ code?: unknown; message?: unknown; name?: unknown }> {
  for (let c = e; c !== null && typeof c === 'object' && depth > 0; c = (c as { cause?: unknown }).cause, depth--) {
    yield c as { code?: unknown; message?: unknown; name?: unknown };
  }
}
