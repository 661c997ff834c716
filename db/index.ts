export { createSqlClient, type Sql, type TransactionSql } from './client.ts';
export { type DatabaseConfig, parseDatabaseConfig } from './config.ts';
export { checkDatabase, type Database, ensureDatabaseExists, openDatabase } from './database.ts';
export { type EmbeddedServer, startEmbeddedPostgres } from './embedded.ts';
export { findFreePort } from './free-port.ts';
export { json } from './json.ts';
export { migrateDatabase } from './migrate.ts';
