/**
 * The Arrow schema in Tiled's form: a TableStructure's `arrow_schema` is a `data:` URI holding an
 * Arrow IPC schema. Parsing and writing that URI, which column types a table may have (those the
 * store can append and show as JSON), and when two column types are the same.
 */
import { type DataType, type Field, type Schema, Table, Type, tableFromIPC, tableToIPC, util } from "apache-arrow";
import { EOS } from "./arrow-file.js";

export const ARROW_FILE_MIMETYPE = "application/vnd.apache.arrow.file";
const DATA_URI_PREFIX = `data:${ARROW_FILE_MIMETYPE};base64,`;

/** The Arrow schema in a TableStructure's `arrow_schema`; RangeError naming what is wrong. */
export function parseArrowSchema(dataUri: unknown): Schema {
  const fail = (why: string): never => {
    throw new RangeError(`table arrow_schema: ${why}`);
  };
  if (typeof dataUri !== "string" || !dataUri.startsWith(DATA_URI_PREFIX)) {
    return fail(`must be a data URI starting ${DATA_URI_PREFIX}`);
  }
  const base64 = dataUri.slice(DATA_URI_PREFIX.length);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) return fail("is not base64");
  const bytes = new Uint8Array(Buffer.from(base64, "base64"));
  if (bytes.byteLength === 0) return fail("is empty");
  let schema: Schema;
  try {
    // pyarrow's `Schema.serialize()` (one IPC message), or a whole IPC stream or file.
    schema = tableFromIPC(bytes).schema;
  } catch (e) {
    return fail(`is not an Arrow IPC schema (${(e as Error).message})`);
  }
  if (schema.fields.length === 0) return fail("has no columns");
  const seen = new Set<string>();
  for (const field of schema.fields) {
    if (seen.has(field.name)) fail(`has two columns named ${JSON.stringify(field.name)}`);
    seen.add(field.name);
    const why = unsupported(field.type);
    if (why) fail(`column ${JSON.stringify(field.name)} is of type ${field.type}: ${why}`);
  }
  return schema;
}

/** The data URI of a schema, as Tiled writes `arrow_schema` (pyarrow's `Schema.serialize()`). */
export function arrowSchemaUri(schema: Schema): string {
  const stream = tableToIPC(new Table(schema), "stream");
  const message = stream.subarray(0, stream.byteLength - EOS.byteLength);
  return DATA_URI_PREFIX + Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString("base64");
}

/** Why a column type cannot be stored, or undefined. */
function unsupported(type: DataType): string | undefined {
  switch (type.typeId) {
    case Type.Dictionary:
      return "dictionary-encoded columns are not supported (send the values)";
    case Type.Union:
    case Type.Interval:
    case Type.BinaryView:
    case Type.Utf8View:
      return "not supported";
    default:
      for (const child of type.children ?? []) {
        const why = unsupported(child.type);
        if (why) return why;
      }
      return undefined;
  }
}

/** Same type, nested field names included; nullability and metadata aside. */
export function sameType(a: DataType, b: DataType): boolean {
  if (a.typeId !== b.typeId) return false;
  const ac: readonly Field[] = a.children ?? [];
  const bc: readonly Field[] = b.children ?? [];
  if (ac.length > 0 || bc.length > 0) {
    if (ac.length !== bc.length) return false;
    if (!ac.every((f, i) => f.name === bc[i]?.name && sameType(f.type, (bc[i] as Field).type))) return false;
    if (a.typeId === Type.FixedSizeList)
      return (a as { listSize?: number }).listSize === (b as { listSize?: number }).listSize;
    if (a.typeId === Type.Map)
      return (a as { keysSorted?: boolean }).keysSorted === (b as { keysSorted?: boolean }).keysSorted;
    return true;
  }
  return util.compareTypes(a, b);
}
