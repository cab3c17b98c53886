// Control characters, refused once for every route (api/app.ts): a NUL in a query parameter, a path parameter,
// a declared header or anywhere in a body is a 400 naming the field, before any handler runs (PostgreSQL would
// refuse it with a 500, or store what a log or a UI then hides). The rule itself is domain/text.ts.
import type { FastifyRequest } from 'fastify';
import { DomainError, type FieldProblem } from '../domain/errors';
import { textProblem, type TextKind } from '../domain/text';

/** A refusal lists at most this many fields. */
const MAX_FIELDS = 20;

/** Every string in `value` (object keys too), iteratively: a deeply nested body cannot overflow the stack. */
function collect(value: unknown, root: string, kind: TextKind, out: FieldProblem[]): void {
  const todo: [unknown, string][] = [[value, root]];
  while (todo.length > 0 && out.length < MAX_FIELDS) {
    const [v, path] = todo.pop()!;
    if (typeof v === 'string') {
      const problem = textProblem(v, kind);
      if (problem) out.push({ field: path, message: problem });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) todo.push([v[i], `${path}.${i}`]);
    } else if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) {
      for (const [k, child] of Object.entries(v).reverse()) {
        const problem = textProblem(k, 'single-line');
        if (problem) out.push({ field: path, message: `a property name: ${problem}` });
        else todo.push([child, `${path}.${k}`]);
      }
    }
  }
}

/** The headers a route declares in its schema (e.g. idempotency-key): they are inputs like the others. */
function declaredHeaders(req: FastifyRequest): string[] {
  const schema = req.routeOptions.schema?.headers as { shape?: Record<string, unknown> } | undefined;
  return schema?.shape ? Object.keys(schema.shape) : [];
}

/**
 * The root hook (preHandler: after authentication, a peer's signature and the schemas, before every handler):
 * query and path parameters and declared headers allow no control character at all, bodies allow \t \n \r
 * (single-line body fields are `singleLine` in their schemas). An uploaded file (a Buffer) is checked cell by
 * cell by its route once read (`csvCellProblems`), so that one bad row fails that row only.
 */
export async function refuseControlCharacters(req: FastifyRequest): Promise<void> {
  const problems: FieldProblem[] = [];
  collect(req.params, 'params', 'single-line', problems);
  collect(req.query, 'querystring', 'single-line', problems);
  for (const h of declaredHeaders(req)) collect(req.headers[h], `headers.${h}`, 'single-line', problems);
  // An uploaded file (CSV, .xlsx) is a Buffer: not walked here, its cells are checked once read (csvCellProblems).
  collect(req.body, 'body', 'free-text', problems);
  if (problems.length === 0) return;
  const first = problems[0]!;
  throw new DomainError({ kind: 'invalid', message: `invalid ${first.field.split('.')[0]}: ${first.message}`, fields: problems });
}

/**
 * The cells of an uploaded table (CSV or .xlsx, as domain/tables.ts read them: trimmed) that hold a control
 * character, by line, each naming its column: such a row fails alone, like any invalid row.
 */
export function csvCellProblems(table: {
  header: readonly string[];
  rows: readonly { line: number; cells: readonly string[] }[];
}): Map<number, FieldProblem[]> {
  const out = new Map<number, FieldProblem[]>();
  for (const row of table.rows) {
    const problems: FieldProblem[] = [];
    row.cells.forEach((cell, j) => {
      const problem = textProblem(cell);
      if (problem) problems.push({ field: table.header[j] || `column ${j + 1}`, message: problem });
    });
    if (problems.length > 0) out.set(row.line, problems);
  }
  return out;
}
