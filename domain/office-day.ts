// The office calendar lives in domain/calendar.ts; this name stays for the modules that import it.
export { OFFICE_OFFSET_MS, OFFICE_ZONE, officeDay, officeDayStart } from './calendar';
