import type { ConnectorDefinition } from '../connectors/index.ts';
import { type CatalogLike, catalogDocSources } from './catalog-doc-sources.ts';
import { connectorDocSources } from './connector-doc-sources.ts';
import { coreDocSources } from './core-doc-sources.ts';
import type { DocSource } from './doc-source.ts';

/** Every built-in doc source: the connectors' definitions and doc.md files, core nodes and core triggers. */
export async function collectDocSources(input: {
  connectors: readonly ConnectorDefinition[];
  /** runtime/workflow's createCatalog(connectors): core nodes' descriptions and `with` parameters. */
  catalog?: CatalogLike;
  /** More sources, e.g. imported OpenAPI connectors (openApiDocSources). */
  extra?: DocSource[];
}): Promise<DocSource[]> {
  return [
    ...(await coreDocSources()),
    ...(input.catalog ? catalogDocSources(input.catalog) : []),
    ...(await connectorDocSources(input.connectors)),
    ...(input.extra ?? []),
  ];
}
