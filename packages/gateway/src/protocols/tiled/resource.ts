/**
 * Nodes as Tiled's HTTP API shows them: the `{data: {id, attributes, links, meta}}` resource with
 * every attribute key present, and the links of each structure family, all absolute URLs under
 * `<base>` (`http://host/api/v1`).
 */
import type { DatasetNode } from "../../datasets/catalog.js";
import type { DatasetStore } from "../../datasets/datasets.js";

export function linksOf(base: string, node: DatasetNode, store: DatasetStore): Record<string, string> {
  const path = node.path;
  const self = `${base}/metadata/${path}`;
  switch (node.structure_family) {
    case "array": {
      const ndim = store.arrayStructure(node).shape.length;
      const block = Array.from({ length: ndim }, (_, i) => `{${i}}`).join(",");
      return { self, full: `${base}/array/full/${path}`, block: `${base}/array/block/${path}?block=${block}` };
    }
    case "table":
      return {
        self,
        full: `${base}/table/full/${path}`,
        partition: `${base}/table/partition/${path}?partition={index}`,
      };
    default:
      return { self, full: `${base}/container/full/${path}`, search: `${base}/search/${path}` };
  }
}

export function resourceOf(base: string, node: DatasetNode, store: DatasetStore): Record<string, unknown> {
  const container = node.structure_family === "container";
  const structure = container
    ? { count: store.catalog.children(node).length, contents: null }
    : node.structure_family === "array"
      ? store.arrayStructure(node)
      : store.tableStructure(node);
  return {
    id: node.key,
    attributes: {
      ancestors: node.path === "" ? [] : node.path.split("/").slice(0, -1),
      structure_family: node.structure_family,
      specs: node.specs,
      metadata: node.metadata,
      structure,
      access_blob: node.access_blob,
      sorting: container ? [{ key: "", direction: 1 }] : null,
      data_sources: node.data_sources,
    },
    links: linksOf(base, node, store),
    meta: null,
  };
}
