import { useEffect, useRef } from 'react';
import { Link, NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useSession } from '../auth/session';
import { LanguageSwitch } from './LanguageSwitch';

function Nav() {
  const { t } = useTranslation();
  const { user } = useSession();
  const links: { to: string; label: string; testId: string; end?: boolean }[] = [
    { to: '/', label: t('nav.catalog'), testId: 'nav-catalog', end: true },
  ];
  if (user?.role === 'citizen') links.push({ to: '/dossiers', label: t('nav.myDossiers'), testId: 'nav-my-dossiers' });
  if (user?.role === 'officer')
    links.unshift({ to: '/officer', label: t('nav.queue'), testId: 'nav-queue', end: true });
  if (user?.role === 'operator') links.unshift({ to: '/operator', label: t('nav.operator'), testId: 'nav-operator' });
  return (
    <nav className="site-nav" aria-label={t('nav.label')}>
      <ul>
        {links.map((l) => (
          <li key={l.to}>
            <NavLink to={l.to} end={l.end ?? false} data-testid={l.testId}>
              {l.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Account() {
  const { t } = useTranslation();
  const { user, signOut } = useSession();
  const navigate = useNavigate();
  if (!user) {
    return (
      <div className="account">
        <Link className="button button--light" to="/sign-in" data-testid="sign-in-link">
          {t('nav.signIn')}
        </Link>
      </div>
    );
  }
  const who = user.name ?? user.sub;
  return (
    <div className="account">
      <span className="account__who" data-testid="signed-in-as">
        <span className="visually-hidden">{t('nav.signedInAs')} </span>
        {who}
        <span className="account__role">
          {' '}
          · {t(`roles.${user.role}`)}
          {user.agencyCode ? ` ${user.agencyCode}` : ''}
        </span>
      </span>
      <button
        type="button"
        className="button button--light"
        data-testid="sign-out"
        onClick={() => {
          signOut();
          void navigate('/');
        }}
      >
        {t('nav.signOut')}
      </button>
    </div>
  );
}

/** Moves focus to the main region after a navigation, so keyboard and screen-reader users start at the content. */
function useFocusOnNavigate(ref: React.RefObject<HTMLElement | null>) {
  const { pathname } = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    ref.current?.focus({ preventScroll: false });
  }, [pathname, ref]);
}

export function Layout() {
  const { t } = useTranslation();
  const main = useRef<HTMLElement>(null);
  useFocusOnNavigate(main);
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        {t('layout.skip')}
      </a>
      <header className="site-header">
        <div className="site-header__inner">
          <Link to="/" className="brand" data-testid="brand">
            <span className="brand__mark" aria-hidden="true">
              ★
            </span>
            <span className="brand__text">
              <span className="brand__name">{t('layout.siteName')}</span>
              <span className="brand__tagline">{t('layout.tagline')}</span>
            </span>
          </Link>
          <div className="site-header__tools">
            <LanguageSwitch />
            <Account />
          </div>
        </div>
        <div className="site-header__nav">
          <Nav />
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1} className="site-main">
        <Outlet />
      </main>
      <footer className="site-footer">
        <p>{t('layout.footer')}</p>
        <p>
          <Link to="/staff/sign-in" data-testid="staff-sign-in-link">
            {t('nav.staffSignIn')}
          </Link>
        </p>
      </footer>
    </div>
  );
}
