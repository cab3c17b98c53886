// Control characters, refused once for every route (api/app.ts): a NUL in a query parameter, a path parameter,
// a declared header or anywhere in a body is a 400 naming the field, before any handler runs (PostgreSQL would
// refuse it with a 500, or store what a log or a UI then hides). The rule itself is domain/text.ts.
import type { FastifyRequest, RouteOptions } from 'fastify';
import { z } from 'zod';
import { $ZodType, globalRegistry, util } from 'zod/v4/core';
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

// Unknown fields (issue 20): a typo such as `excellentCAP` was dropped silently and the request did something else.
// Every request body and query schema is made strict once, when its route is registered (api/app.ts, onRoute), so no
// route can forget: an object that does not say otherwise (zod's default "strip") refuses a field it does not declare,
// 400 naming it (`body.<path>` / `querystring.<name>`). An object that must stay open says so in its schema
// (z.looseObject or .catchall(), e.g. a third party's payload) and is left as it is. Responses are not affected.

const strictCopies = new WeakMap<$ZodType, $ZodType>();
const IN_PROGRESS = new WeakSet<$ZodType>();

/** A copy of `node` with `def`, keeping its metadata (description, format; not its registry id, which is unique). */
function copy(node: $ZodType, def: Record<string, unknown>): $ZodType {
  const out = util.clone(node, def as unknown as $ZodType['_zod']['def']);
  const meta = globalRegistry.get(node);
  if (meta) {
    const { id: _id, ...rest } = meta;
    if (Object.keys(rest).length > 0) globalRegistry.add(out, rest);
  }
  return out;
}

/** `schema` with every strip-mode object, at any depth, made strict; the same schema when nothing changes. */
export function strictInput<T extends $ZodType>(schema: T): T {
  return strict(schema) as T;
}

function strict(s: $ZodType): $ZodType {
  const done = strictCopies.get(s);
  if (done) return done;
  // A cycle through getters (z.object({ get child() { … } })): resolved at parse time, once the copy exists.
  if (IN_PROGRESS.has(s)) return z.lazy(() => strictCopies.get(s) ?? s);
  IN_PROGRESS.add(s);
  const out = rewrite(s);
  IN_PROGRESS.delete(s);
  strictCopies.set(s, out);
  if (out !== s) strictCopies.set(out, out);
  return out;
}

function rewrite(s: $ZodType): $ZodType {
  const def = s._zod.def as unknown as Record<string, unknown> & { type: string };
  const each = (xs: readonly $ZodType[]) => {
    const ys = xs.map(strict);
    return { ys, changed: ys.some((y, i) => y !== xs[i]) };
  };
  switch (def.type) {
    case 'object': {
      const shape = def.shape as Record<string, $ZodType>;
      const keys = Object.keys(shape);
      const fields = each(keys.map((k) => shape[k]!));
      const catchall = def.catchall as $ZodType | undefined;
      // No catchall: zod's default, which strips unknown keys silently; a catchall (loose, or typed) is a choice.
      const newCatchall = catchall === undefined ? z.never() : strict(catchall);
      if (!fields.changed && newCatchall === catchall) return s;
      return copy(s, util.mergeDefs(def, { shape: Object.fromEntries(keys.map((k, i) => [k, fields.ys[i]])), catchall: newCatchall }));
    }
    case 'array':
    case 'set':
    case 'record':
    case 'map': {
      const key = def.type === 'array' ? 'element' : 'valueType';
      const inner = def[key] as $ZodType;
      const next = strict(inner);
      return next === inner ? s : copy(s, util.mergeDefs(def, { [key]: next }));
    }
    case 'tuple': {
      const items = each(def.items as $ZodType[]);
      const rest = def.rest as $ZodType | undefined | null;
      const newRest = rest ? strict(rest) : rest;
      return !items.changed && newRest === rest ? s : copy(s, util.mergeDefs(def, { items: items.ys, rest: newRest }));
    }
    case 'union': {
      const options = each(def.options as $ZodType[]);
      return options.changed ? copy(s, util.mergeDefs(def, { options: options.ys })) : s;
    }
    case 'pipe': {
      const [a, b] = [def.in as $ZodType, def.out as $ZodType];
      const [x, y] = [strict(a), strict(b)];
      return x === a && y === b ? s : copy(s, util.mergeDefs(def, { in: x, out: y }));
    }
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional': {
      const inner = def.innerType as $ZodType;
      const next = strict(inner);
      return next === inner ? s : copy(s, util.mergeDefs(def, { innerType: next }));
    }
    case 'lazy': {
      const getter = def.getter as () => $ZodType;
      const { _cachedInner: _memo, ...rest } = def;
      return copy(s, { ...rest, getter: () => strict(getter()) });
    }
    // Left as it is: each side of an intersection declares only its own keys, so strict sides would refuse each other's.
    default:
      return s;
  }
}

/** The onRoute hook (api/app.ts): the route's body and querystring schemas, strict; headers and params as they are. */
export function strictRouteInput(route: RouteOptions): void {
  const schema = route.schema as { body?: unknown; querystring?: unknown } | undefined;
  if (!schema) return;
  const body = schema.body instanceof $ZodType ? { body: strictInput(schema.body) } : {};
  const querystring = schema.querystring instanceof $ZodType ? { querystring: strictInput(schema.querystring) } : {};
  route.schema = { ...route.schema, ...body, ...querystring };
}
