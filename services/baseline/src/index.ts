export { ensureEventsTable, insertEvents, toEventRow } from "./events-table.js";
