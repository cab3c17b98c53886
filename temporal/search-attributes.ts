// Tuanwu's custom search attributes on a Temporal server: registered if missing, refused if of another type. Run
// at every start (the worker alone, `npm start`, the dev server and the cluster scripts).
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../domain/search-attributes';

const IVT = proto.temporal.api.enums.v1.IndexedValueType;
/** The server's type of each attribute, from the proto enum (numbers written by hand were wrong once). */
export const INDEXED_VALUE_TYPE = {
  Keyword: IVT.INDEXED_VALUE_TYPE_KEYWORD,
  KeywordList: IVT.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  Datetime: IVT.INDEXED_VALUE_TYPE_DATETIME,
  Bool: IVT.INDEXED_VALUE_TYPE_BOOL,
} as const satisfies Record<(typeof SEARCH_ATTRIBUTE_DEFINITIONS)[number]['type'], number>;

/** A search attribute registered with another type: every start would fail, so start-up refuses. */
export class WrongSearchAttributes extends Error {
  constructor(detail: string) {
    super(`search attributes of the wrong type on the Temporal server (remove them, then restart): ${detail}`);
  }
}

/** Registers any missing custom search attribute; on a server that exists already this is the start-up check. */
export async function ensureSearchAttributes(address: string, namespace = 'default'): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
        const wrong = SEARCH_ATTRIBUTE_DEFINITIONS.filter(
          (d) => customAttributes?.[d.name] !== undefined && customAttributes[d.name] !== INDEXED_VALUE_TYPE[d.type],
        );
        if (wrong.length > 0)
          throw new WrongSearchAttributes(wrong.map((d) => `${d.name} is ${IVT[customAttributes![d.name]!]}, expected ${d.type}`).join('; '));
        const missing = SEARCH_ATTRIBUTE_DEFINITIONS.filter((d) => !customAttributes || !(d.name in customAttributes));
        if (missing.length === 0) return;
        await connection.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(missing.map((d) => [d.name, INDEXED_VALUE_TYPE[d.type]])),
        });
      } catch (e) {
        if (e instanceof WrongSearchAttributes || attempt > 60) throw e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    await connection.close();
  }
}
