// R12: the graduates' roster, a file a school (or a committee above) files (CSV or .xlsx): one transfer started per row.
import { authorize, isAllowed } from '../../domain/authz';
import { DomainError, type FieldProblem } from '../../domain/errors';
import { personalView } from '../../domain/privacy';
import { parseRoster } from '../../domain/graduates';
import { readTable } from '../../domain/tables';
import { mapLimit } from '../../domain/concurrency';
import { transferStarter } from '../../services/transfer-start';
import { problemBody, type Api, type AppDeps } from '../deps';
import { UPLOAD_TYPES, UploadedFile, errorResponses } from '../schemas';
import { RosterHeaders, RosterQuery, RosterReport, type RosterRow } from '../../contract/transfers';
import { csvCellProblems } from '../validation';

/** Rows in one request; a bigger roster goes through the CLI (npm run import-graduates), which sends it in parts. */
export const MAX_ROSTER_ROWS = 20_000;

function asProblem(e: unknown): { status: number; message: string; rule?: string; fields?: FieldProblem[] } {
  if (e instanceof DomainError) return problemBody(e.problem);
  throw e;
}

/** POST /transfers/graduates/import (R12): the roster's rows, each started at most once per batch. */
export function rosterRoutes(app: Api, deps: AppDeps): void {
  const { db } = deps;
  const starter = transferStarter(deps);
  app.post(
    '/transfers/graduates/import',
    {
      schema: {
        summary:
          "R12: start the graduates' transfers from a roster (CSV in UTF-8 or GB18030/GBK, or .xlsx: its first sheet; one graduate a row); safe to send again with the same Idempotency-Key",
        consumes: UPLOAD_TYPES,
        headers: RosterHeaders,
        body: UploadedFile,
        querystring: RosterQuery,
        response: {
          200: RosterReport,
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const p = req.principal;
      if (!p.orgPath || !isAllowed(p, 'transfer.import', { orgPath: p.orgPath }))
        throw DomainError.forbidden('a roster is filed by the admins of a school or a committee above');
      // The CLI sends a big file in parts; firstLine keeps the line numbers of the whole file.
      const table = await readTable(req.body, { contentType: req.headers['content-type'], maxRows: MAX_ROSTER_ROWS, firstLine: req.query.firstLine });
      let parsed;
      try {
        parsed = parseRoster(table);
      } catch (e) {
        throw new DomainError({ kind: 'invalid', message: (e as Error).message, fields: [{ field: 'body', message: 'bad header line' }] });
      }
      // A cell with a control character fails its row (naming the column), like any invalid row.
      const badCells = csvCellProblems(table);
      parsed.lines = parsed.lines.map((l) => (badCells.has(l.line) ? { line: l.line, problems: badCells.get(l.line) } : l));
      const batch = req.headers['idempotency-key'];
      const valid = parsed.lines.filter((l) => l.row);
      const members = valid.length
        ? await db
            .selectFrom('members')
            .leftJoin('organizations', 'organizations.id', 'members.branch_id')
            .select(['members.id', 'members.id_number', 'organizations.path'])
            .where(
              'members.id_number',
              'in',
              valid.map((l) => l.row!.idNumber),
            )
            .execute()
        : [];
      const byIdNumber = new Map(members.map((m) => [m.id_number, { id: m.id, orgPath: m.path ?? '' }]));
      const orgs = starter.orgs();
      const rows = await mapLimit(parsed.lines, 16, async (l): Promise<RosterRow> => {
        if (!l.row) return { line: l.line, status: 'failed', error: { status: 400, message: 'invalid row', fields: l.problems } };
        const member = byIdNumber.get(l.row.idNumber);
        // The report shows the ID number as the policy shows it to the filer (issue 20); no record: no one holds it, masked.
        const shown = personalView(p, { orgPath: member?.orgPath ?? '', memberId: member?.id ?? null }).show('idNumber', l.row.idNumber);
        if (!member) return { line: l.line, idNumber: shown, status: 'failed', error: { status: 404, message: 'no member with this ID number' } };
        try {
          // The roster's sender must be above the graduate's branch.
          const senderAuthorized = (fromPath: string) => {
            authorize(p, 'transfer.import', { orgPath: fromPath });
            return true;
          };
          const memberId = member.id;
          const plan = await starter.plan(p, { memberId, toOrgId: l.row.toOrgId, destination: l.row.destination }, orgs, { senderAuthorized });
          const r = await starter.launch(plan, `roster:${p.actorId}:${batch}:${memberId}`, { awaitRecorded: false });
          return {
            line: l.line,
            idNumber: shown,
            status: r.created ? 'started' : 'already-started',
            processId: r.processId,
            ...(r.route ? { route: r.route.case } : {}),
          };
        } catch (e) {
          return { line: l.line, idNumber: shown, status: 'failed', error: asProblem(e) };
        }
      });
      return {
        batch,
        started: rows.filter((r) => r.status === 'started').length,
        alreadyStarted: rows.filter((r) => r.status === 'already-started').length,
        failed: rows.filter((r) => r.status === 'failed').length,
        rows,
      };
    },
  );
}
