// Files imported as text (Vite's `?raw`): the Fluent catalogs, and the
// sources the catalog test reads.
declare module '*?raw' {
  const source: string;
  export default source;
}
