// Small composables shared by the pages.
import { onBeforeUnmount, onMounted, ref, shallowRef, type Ref } from 'vue';
import { fieldErrors } from './api';
import { problemText, showError } from './errors';
import { i18n } from './i18n';
import type { Page } from '../../contract/common';

/** Whether a media query matches, kept up to date (e.g. the phone layout under 768 px). */
export function useMediaQuery(query: string): Ref<boolean> {
  const matches = ref(false);
  let mql: MediaQueryList | null = null;
  const update = () => {
    matches.value = mql?.matches ?? false;
  };
  if (typeof window !== 'undefined' && window.matchMedia) {
    mql = window.matchMedia(query);
    matches.value = mql.matches;
  }
  onMounted(() => mql?.addEventListener('change', update));
  onBeforeUnmount(() => mql?.removeEventListener('change', update));
  return matches;
}

export const PHONE = '(max-width: 767.98px)';

/** A function that runs `fn` once calls have paused for `ms` (the route preview while the form is filled). */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): ((...args: A) => void) & { cancel(): void } {
  let timer: number | undefined;
  const wrapped = (...args: A) => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => window.clearTimeout(timer);
  return wrapped;
}

/** A per-submission idempotency key: a retry of the same submission starts nothing twice. */
export function newRequestKey(): string {
  if (typeof crypto !== 'undefined' && 'randomUUID' in crypto) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/**
 * A value read from the API: `loading` while it is read, the problem's words in `failure` when it could not be
 * (the page shows them instead of going blank), and `load()` to read it again.
 */
export function useLoader<T>(read: () => Promise<T>) {
  const data = shallowRef<T | null>(null);
  const loading = ref(false);
  const failure = ref('');
  async function load(): Promise<void> {
    loading.value = true;
    failure.value = '';
    try {
      data.value = await read();
    } catch (e) {
      data.value = null;
      failure.value = problemText(e);
    } finally {
      loading.value = false;
    }
  }
  return { data, loading, failure, load };
}

/**
 * A submission (save, request, upload …): `busy` while it runs, then the success message (a text, or one made from
 * the API's answer), or the problem as a message (`refused` sees it too). Resolves with the API's answer, or
 * undefined when it was refused.
 */
export function useSubmit(refused?: (e: unknown) => void) {
  const busy = ref(false);
  async function run<T>(send: () => Promise<T>, success?: string | ((result: T) => string)): Promise<T | undefined> {
    if (busy.value) return undefined;
    busy.value = true;
    try {
      const result = await send();
      if (success) ElMessage({ type: 'success', message: typeof success === 'string' ? success : success(result) });
      return result;
    } catch (e) {
      refused?.(e);
      showError(e);
      return undefined;
    } finally {
      busy.value = false;
    }
  }
  return { busy, run };
}

/**
 * A form's submission (FieldsForm): as useSubmit, and the problem's messages by field in `errors`, under the
 * form's inputs (`key` names them, as in fieldErrors), cleared when it is sent again.
 */
export function useFormSubmit(key?: (path: string) => string | null) {
  const errors = ref<Record<string, string>>({});
  const submit = useSubmit((e) => (errors.value = fieldErrors(e, key)));
  function run<T>(send: () => Promise<T>, success?: string | ((result: T) => string)): Promise<T | undefined> {
    return submit.run(() => {
      errors.value = {};
      return send();
    }, success);
  }
  return { busy: submit.busy, errors, run };
}

/**
 * Asks for a reason in a dialog (a revocation, a close): the words typed, trimmed, or null when it was cancelled.
 * With `required` (the message shown while it is empty) it cannot be left empty; else '' when none was given.
 */
export async function promptReason(
  message: string,
  title: string,
  o: { submit: string; placeholder: string; required?: string; type?: 'warning' },
): Promise<string | null> {
  const required = o.required;
  const answer = await ElMessageBox.prompt(message, title, {
    confirmButtonText: o.submit,
    cancelButtonText: i18n.global.t('app.cancel'),
    inputPlaceholder: o.placeholder,
    inputType: 'textarea',
    ...(o.type ? { type: o.type } : {}),
    ...(required ? { inputValidator: (v: string) => (v && v.trim() ? true : required) } : {}),
  }).catch(() => null);
  return answer ? (answer.value ?? '').trim() : null;
}

/** A list as ListTable and ListFooter show it: its items, whether it is being read, the problem, and the next page. */
export interface ListState {
  items: Readonly<Ref<readonly unknown[]>>;
  loading: Readonly<Ref<boolean>>;
  failure: Readonly<Ref<string>>;
  nextCursor: Readonly<Ref<string | null>>;
  load(more?: boolean): unknown;
}

/**
 * A list read page by page with the API's cursor: `load()` reads it afresh, `load(true)` appends the next page.
 * A list the API answers whole is one page (`nextCursor: null`).
 */
export function usePaged<T>(read: (cursor: string | null) => Promise<Page<T>>) {
  const items = shallowRef<T[]>([]);
  const nextCursor = ref<string | null>(null);
  const loading = ref(false);
  const failure = ref('');
  async function load(more = false): Promise<void> {
    loading.value = true;
    failure.value = '';
    try {
      const page = await read(more ? nextCursor.value : null);
      items.value = more ? [...items.value, ...page.items] : page.items;
      nextCursor.value = page.nextCursor;
    } catch (e) {
      if (!more) items.value = [];
      failure.value = problemText(e);
    } finally {
      loading.value = false;
    }
  }
  return { items, nextCursor, loading, failure, load };
}
