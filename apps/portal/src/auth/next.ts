import type { Role } from './claims';

/** Where to go after signing in: the page that asked (same-site paths only, never another origin), else home. */
export function safeNext(next: string | null, role: Role): string {
  if (next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\')) return next;
  switch (role) {
    case 'citizen':
      return '/dossiers';
    case 'officer':
      return '/officer';
    case 'operator':
      return '/operator';
  }
}
