// DOM matchers (toBeInTheDocument, toHaveAccessibleName…) for the portal's component tests.
import '@testing-library/jest-dom';
import { TextDecoder, TextEncoder } from 'node:util';

// Every browser has these; jsdom does not (react-router and the token reader use them).
Object.assign(globalThis, { TextEncoder, TextDecoder });

// Typing into forms through user-event is slow on a busy machine; the default 5 s would fail a correct test.
jest.setTimeout(30_000);
