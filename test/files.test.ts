// Files as offices have them (issue 12): the graduates' roster (R12) and the dues batch (R18) read from CSV in UTF-8
// (with or without a BOM) or GB18030/GBK (detected, or named by charset=), and from .xlsx workbooks, with the same
// per-row report; a damaged workbook, random bytes or an empty file are a 400 naming the body, and nothing is kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import iconv from 'iconv-lite';
import ExcelJS from 'exceljs';
import { activeMember, eventually, graduateBranch, graduateMembers, idNumber, seedTree, startSystem, type System, type Tree } from './harness';
import { XLSX_TYPE, readTable } from '../domain/tables';
import { monthOf, monthStart } from '../domain/dues';

let sys: System;
let tree: Tree;
let grad: { id: string; secretary: string };
const month = monthOf(new Date());
const NAMES = ['王小明', '李华', '张伟', '刘洋', '陈静', '杨帆'];

beforeAll(async () => {
  sys = await startSystem();
  tree = await seedTree(sys.app);
  grad = await graduateBranch(sys.app, tree.ids.school1);
});
afterAll(async () => {
  await sys?.stop();
});

/** Graduates of the graduate branch, with Chinese names. */
const graduates = (n: number) => graduateMembers(sys, grad, n, { names: NAMES });

const post = (url: string, token: string, payload: Buffer | string, contentType: string, key = `k-${randomUUID()}`) =>
  sys.app
    .inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}`, 'content-type': contentType, 'idempotency-key': key }, payload })
    .then((r) => ({ status: r.statusCode, body: r.json() }));
const roster = (payload: Buffer | string, contentType: string, key?: string) =>
  post('/api/transfers/graduates/import', tree.tokens.school1, payload, contentType, key);
const dues = (payload: Buffer | string, contentType: string, key?: string) => post('/api/dues/payments/batch', tree.tokens.sec1, payload, contentType, key);

const transfersOf = (memberIds: string[]) =>
  sys.db.selectFrom('processes').select('id').where('kind', '=', 'transfer').where('member_id', 'in', memberIds).execute();
const ledgerOf = (memberIds: string[]) =>
  sys.db.selectFrom('dues_payments').select(['member_id', 'month', 'amount_cents']).where('member_id', 'in', memberIds).execute();

/** A roster: one graduate moving to a branch, one studying abroad at a Chinese-named school (refused, R11, naming it), a name where the ID number goes. */
function rosterText(gs: { idNumber: string }[]): string {
  return [
    'idNumber,toOrgId,situation,unitName,locationOrgId',
    `${gs[0]!.idNumber},${tree.ids.branch3},,,`,
    `${gs[1]!.idNumber},,abroad,"美国加州大学（伯克利）",${tree.ids.county2}`,
    '',
    `张三,${tree.ids.branch3},,,`,
    '',
  ].join('\r\n');
}

/** What a roster report says, without what differs between two sets of graduates. */
const rosterShape = (body: { rows: { line: number; status: string; error?: unknown }[] }) =>
  body.rows.map((r) => ({ line: r.line, status: r.status, error: r.error }));

async function workbook(rows: (string | number | Date | null)[][], numFmt?: { row: number; col: number; fmt: string }): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('名单');
  rows.forEach((r, i) => {
    ws.getRow(i + 1).values = r;
  });
  if (numFmt) ws.getRow(numFmt.row).getCell(numFmt.col).numFmt = numFmt.fmt;
  wb.addWorksheet('其他').getRow(1).values = ['not read'];
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe('files as offices have them', () => {
  it('R12: a roster as GB18030 CSV gives the same report as in UTF-8, with or without a BOM, the Chinese cells read as written', async () => {
    const utf8 = await roster(rosterText(await graduates(2)), 'text/csv');
    expect(utf8.status, JSON.stringify(utf8.body)).toBe(200);
    expect(utf8.body).toMatchObject({ started: 1, failed: 2 });
    expect(rosterShape(utf8.body).map((r) => [r.line, r.status])).toEqual([
      [2, 'started'],
      [3, 'failed'],
      [5, 'failed'],
    ]);
    // The refusal cites the unit's name from the file: decoded as written.
    expect(utf8.body.rows[1].error).toMatchObject({ status: 422, rule: 'R11' });
    expect(utf8.body.rows[1].error.message).toContain('"美国加州大学（伯克利）"');
    expect(utf8.body.rows[2].error).toMatchObject({ status: 400, fields: [{ field: 'idNumber' }] });

    const gb = await roster(iconv.encode(rosterText(await graduates(2)), 'gb18030'), 'text/csv');
    expect(gb.status, JSON.stringify(gb.body)).toBe(200);
    expect(rosterShape(gb.body)).toEqual(rosterShape(utf8.body));
    // Named by charset= (GBK), and with a UTF-8 BOM: the same again.
    const gbk = await roster(iconv.encode(rosterText(await graduates(2)), 'gbk'), 'text/csv; charset=GBK');
    expect(rosterShape(gbk.body)).toEqual(rosterShape(utf8.body));
    const bom = await roster(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(rosterText(await graduates(2)))]), 'text/csv; charset=utf-8');
    expect(rosterShape(bom.body)).toEqual(rosterShape(utf8.body));
  });

  it('R18: a dues batch as GB18030 CSV gives the same report as in UTF-8 (a name where the member ID goes fails its row)', async () => {
    const batchText = (members: string[]) =>
      ['memberId,month,amountCents', `${members[0]},${month},300`, `张三,${month},300`, `${members[1]},${month},"250"`, ''].join('\n');
    const a = [
      await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1, { name: '赵六' }),
      await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1),
    ];
    const b = [
      await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1, { name: '孙七' }),
      await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1),
    ];
    const utf8 = await dues(batchText(a), 'text/csv');
    expect(utf8.status, JSON.stringify(utf8.body)).toBe(200);
    expect(utf8.body).toMatchObject({ recorded: 2, failed: 1 });
    expect(utf8.body.rows[1]).toMatchObject({ line: 3, status: 'failed', error: { status: 400, fields: [{ field: 'memberId' }] } });
    const gb = await dues(iconv.encode(batchText(b), 'gb18030'), 'text/csv');
    expect(gb.status, JSON.stringify(gb.body)).toBe(200);
    const shape = (body: { rows: { line: number; status: string; error?: unknown }[] }) => body.rows.map((r) => [r.line, r.status, r.error]);
    expect(shape(gb.body)).toEqual(shape(utf8.body));
    expect((await ledgerOf(b)).map((r) => r.amount_cents).sort()).toEqual([250, 300]);
    // With a UTF-8 BOM the header is still the header.
    const c = [await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1), await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1)];
    const bom = await dues(`\uFEFF${batchText(c)}`, 'text/csv; charset=utf-8');
    expect(shape(bom.body)).toEqual(shape(utf8.body));
  });

  it('R12/R18: .xlsx workbooks (the first sheet) give the report by sheet row; a month typed as a date reads as that month', async () => {
    const gs = await graduates(2);
    const file = await workbook([
      ['idNumber', 'toOrgId', 'situation', 'unitName', 'locationOrgId'],
      [gs[0]!.idNumber, tree.ids.branch3, null, null, null],
      [gs[1]!.idNumber, null, 'abroad', '美国加州大学（伯克利）', tree.ids.county2],
      [],
      ['张三', tree.ids.branch3],
    ]);
    const r = await roster(file, XLSX_TYPE);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(rosterShape(r.body).map((x) => [x.line, x.status])).toEqual([
      [2, 'started'],
      [3, 'failed'],
      [5, 'failed'],
    ]);
    expect(r.body.rows[1].error.message).toContain('"美国加州大学（伯克利）"');
    // Started: the worker records it in the read model right after Temporal accepted it.
    await eventually(async () => (await transfersOf([gs[0]!.memberId])).length === 1, 15_000, 'the recorded transfer');

    const [m1, m2] = [await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1), await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1)];
    const asDate = new Date(`${month}-01T00:00:00Z`);
    const book = await workbook(
      [
        ['memberId', 'month', 'amountCents'],
        [m1, month, 300],
        [m2!, asDate, 250],
      ],
      { row: 3, col: 2, fmt: 'yyyy"年"m"月"' },
    );
    // Sent as Windows browsers label it: the bytes say it is a workbook.
    const d = await dues(book, 'application/vnd.ms-excel');
    expect(d.status, JSON.stringify(d.body)).toBe(200);
    expect(d.body.rows).toEqual([
      { line: 2, memberId: m1, month, status: 'recorded' },
      { line: 3, memberId: m2, month, status: 'recorded' },
    ]);
    expect((await ledgerOf([m1!, m2!])).map((x) => [x.month, x.amount_cents]).sort()).toEqual([
      [monthStart(month), 250],
      [monthStart(month), 300],
    ]);
  });

  it('R12/R18: a truncated workbook, random bytes, an .xls, an empty file or undecodable text are a 400 naming the body, and nothing is kept', async () => {
    const gs = await graduates(2);
    const whole = await workbook([['idNumber', 'toOrgId'], ...gs.map((g) => [g.idNumber, tree.ids.branch3])]);
    const payer = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const duesBook = await workbook([
      ['memberId', 'month', 'amountCents'],
      [payer, month, 300],
    ]);
    const noise = Buffer.concat([Buffer.from([0x00, 0xff, 0x80]), randomBytes(4096)]);
    // Its directory intact at the end, its parts overwritten: the archive lists them, they do not inflate.
    const damaged = Buffer.from(whole);
    damaged.fill(0x41, 40, Math.floor(whole.length / 2));
    const cases: [string, Buffer | string, string, RegExp][] = [
      ['truncated roster workbook', whole.subarray(0, Math.floor(whole.length / 2)), XLSX_TYPE, /damaged|cut short/],
      ['truncated dues workbook', duesBook.subarray(0, duesBook.length - 30), XLSX_TYPE, /damaged|cut short/],
      ['a workbook with damaged parts', damaged, XLSX_TYPE, /cannot be read/],
      ['random bytes as a workbook', noise, XLSX_TYPE, /not an \.xlsx workbook/],
      ['random bytes as CSV', noise, 'text/csv', /not text/],
      ['an Excel 97-2003 file', Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), randomBytes(512)]), 'application/vnd.ms-excel', /\.xls\b/],
      ['an empty file', '', 'text/csv', /empty/],
      ['an empty workbook upload', Buffer.alloc(0), XLSX_TYPE, /empty/],
      ['blank lines only', '\r\n \r\n', 'text/csv', /empty/],
      ['GB18030 bytes said to be UTF-8', iconv.encode('idNumber,toOrgId\n张三,x\n', 'gb18030'), 'text/csv; charset=utf-8', /not UTF-8/],
      ['a quote never closed', `idNumber,toOrgId\n"${gs[0]!.idNumber},${tree.ids.branch3}\n`, 'text/csv', /line 2/],
    ];
    for (const [what, payload, type, message] of cases) {
      for (const send of [roster, dues]) {
        const r = await send(payload, type);
        expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(400);
        expect(r.body, what).toMatchObject({ status: 400, kind: 'invalid', fields: [{ field: 'body' }] });
        expect(r.body.message, what).toMatch(message);
      }
    }
    const latin1 = await roster('idNumber,toOrgId\n', 'text/csv; charset=latin1');
    expect(latin1.status).toBe(400);
    expect(latin1.body.fields[0].field).toBe('headers.content-type');
    expect(await transfersOf(gs.map((g) => g.memberId))).toEqual([]);
    expect(await ledgerOf([payer])).toEqual([]);
  });

  it('R12/R18: too many rows or columns refuse the whole file before anything starts', async () => {
    const [g] = await graduates(1);
    const many = ['idNumber,toOrgId', `${g!.idNumber},${tree.ids.branch3}`, ...Array.from({ length: 20_000 }, () => `${idNumber()},${tree.ids.branch3}`)].join(
      '\n',
    );
    const r = await roster(many, 'text/csv');
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/more than 20000 rows/);
    const wide = await roster(`idNumber,toOrgId\n${g!.idNumber},${tree.ids.branch3}${',x'.repeat(120)}\n`, 'text/csv');
    expect(wide.status).toBe(400);
    expect(wide.body.message).toMatch(/line 2 has 122 columns/);
    expect(await transfersOf([g!.memberId])).toEqual([]);
    const payer = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const lines = ['memberId,month,amountCents', `${payer},${month},300`, ...Array.from({ length: 50_000 }, () => `${randomUUID()},${month},300`)];
    const d = await dues(lines.join('\n'), 'text/csv');
    expect(d.status).toBe(400);
    expect(d.body.fields[0].field).toBe('body');
    expect(await ledgerOf([payer])).toEqual([]);
  });

  it('R12: the table reader keeps file lines across quoted line breaks and blank lines, and reads GB18030 to the same cells', async () => {
    const text = 'idNumber,toOrgId,unitName\r\n\r\na,b,"第一行\r\n第二行"\r\n  c , d ,,\r\n\r\n"e ""x""",f\r\n';
    const utf8 = await readTable(Buffer.from(text), { contentType: 'text/csv', maxRows: 10 });
    expect(utf8).toEqual({
      format: 'csv',
      encoding: 'utf-8',
      header: ['idNumber', 'toOrgId', 'unitName'],
      headerLine: 1,
      rows: [
        { line: 3, cells: ['a', 'b', '第一行\r\n第二行'] },
        { line: 5, cells: ['c', 'd'] },
        { line: 7, cells: ['e "x"', 'f'] },
      ],
    });
    expect(await readTable(iconv.encode(text, 'gb18030'), { maxRows: 10 })).toEqual({ ...utf8, encoding: 'gb18030' });
    expect((await readTable(Buffer.from(text), { maxRows: 10, firstLine: 100 })).rows.map((r) => r.line)).toEqual([102, 104, 106]);
  });
});
