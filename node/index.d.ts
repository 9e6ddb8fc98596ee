/** The extension's file (atf.so), for any SQLite loader. */
export function getLoadablePath(): string;
/**
 * Loads the extension into a better-sqlite3 Database, or a node:sqlite
 * DatabaseSync opened with { allowExtension: true }.
 */
export function load(db: {
  loadExtension(file: string): unknown;
  enableLoadExtension?(allow: boolean): void;
}): void;
