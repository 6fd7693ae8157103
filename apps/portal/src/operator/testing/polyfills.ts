// What jsdom lacks and browsers have: react-router needs TextEncoder when it loads, token claims and the SSE
// parser need TextDecoder. Imported first by the specs, before anything that loads react-router.
import { TextDecoder as NodeTextDecoder, TextEncoder as NodeTextEncoder } from 'util';

if (!('TextEncoder' in globalThis)) Object.assign(globalThis, { TextEncoder: NodeTextEncoder });
if (!('TextDecoder' in globalThis)) Object.assign(globalThis, { TextDecoder: NodeTextDecoder });
