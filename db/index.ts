export { createSqlClient, type Sql, type TransactionSql } from './client.ts';
export { parseDatabaseConfig, type DatabaseConfig } from './config.ts';
export { checkDatabase, ensureDatabaseExists, openDatabase, type Database } from './database.ts';
export { startEmbeddedPostgres, type EmbeddedServer } from './embedded.ts';
export { findFreePort } from './free-port.ts';
export { migrateDatabase } from './migrate.ts';
