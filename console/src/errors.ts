// How a failed request reads on screen: the problem's own message, prefixed by its rule ("R2: …").
import { ApiError } from './api';
import { i18n } from './i18n';

export function problemText(e: unknown): string {
  const { t } = i18n.global;
  if (e instanceof ApiError) {
    if (e.status === 0) return t('errors.network');
    const rule = e.rule && !e.message.startsWith(e.rule) ? `${e.rule}: ` : '';
    const fields = e.fields
      .filter((f) => !e.message.includes(f.message))
      .map((f) => `${f.field}: ${f.message}`)
      .join('; ');
    const base = e.message || t('errors.generic');
    return `${rule}${base}${fields ? ` (${fields})` : ''}`;
  }
  if (e instanceof Error && e.message) return e.message;
  return t('errors.generic');
}

/** An ElMessage with the problem: never a blank page. A 401 has already sent the user to Sign in. */
export function showError(e: unknown): void {
  if (e instanceof ApiError && e.status === 401) return;
  if (e instanceof DOMException && e.name === 'AbortError') return;
  ElMessage({ type: 'error', message: problemText(e), showClose: true, duration: 6000, grouping: true });
}
