/** Deepest element nesting read or written (fast-xml-parser's maxNestedTags). */
export const MAX_XML_DEPTH = 100;
