/** areaDetector's enumerations, shared by the simulated camera and the camera socket that shows it. */

/** `cam1:DataType` labels, in areaDetector's order (NDDataType_t). */
export const AD_DATA_TYPES = [
  "Int8",
  "UInt8",
  "Int16",
  "UInt16",
  "Int32",
  "UInt32",
  "Int64",
  "UInt64",
  "Float32",
  "Float64",
] as const;

export type AdDataType = (typeof AD_DATA_TYPES)[number];
