import { lazy, Suspense } from 'react';
import { Route, Routes } from 'react-router';
import { useTranslation } from 'react-i18next';
import { RequireRole } from './auth/session';
import { Loading } from './components/AsyncState';
import { usePageTitle } from './components/PageTitle';
import { Layout } from './layout/Layout';
import { ApplyPage } from './pages/citizen/ApplyPage';
import { CatalogPage } from './pages/citizen/CatalogPage';
import { DossierPage } from './pages/citizen/DossierPage';
import { MyDossiersPage } from './pages/citizen/MyDossiersPage';
import { ProcedurePage } from './pages/citizen/ProcedurePage';
import { SignInPage } from './pages/citizen/SignInPage';
import { CasePage } from './pages/officer/CasePage';
import { QueuePage } from './pages/officer/QueuePage';
import { StaffSecurityPage } from './pages/staff/StaffSecurityPage';
import { StaffSignInPage } from './pages/staff/StaffSignInPage';
import { VerifyPage } from './pages/verify/VerifyPage';

// The operator dashboard (charts) is its own chunk: citizens and officers never download it.
const OperatorApp = lazy(() => import('./operator/OperatorApp'));

function NotFound() {
  const { t } = useTranslation();
  usePageTitle(t('notFound.title'));
  return (
    <section className="page" aria-labelledby="nf-title" data-testid="not-found">
      <h1 id="nf-title">{t('notFound.title')}</h1>
      <p>{t('notFound.text')}</p>
    </section>
  );
}

/** Every route of the portal (README.md lists them). */
export function App() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<CatalogPage />} />
        <Route path="procedures/:code" element={<ProcedurePage />} />
        <Route path="verify/:code" element={<VerifyPage />} />
        <Route
          path="procedures/:code/apply"
          element={
            <RequireRole role="citizen">
              <ApplyPage />
            </RequireRole>
          }
        />
        <Route path="sign-in" element={<SignInPage />} />
        <Route path="staff/sign-in" element={<StaffSignInPage />} />
        <Route
          path="staff/security"
          element={
            <RequireRole role={['officer', 'operator']}>
              <StaffSecurityPage />
            </RequireRole>
          }
        />
        <Route
          path="dossiers"
          element={
            <RequireRole role="citizen">
              <MyDossiersPage />
            </RequireRole>
          }
        />
        <Route
          path="dossiers/:id"
          element={
            <RequireRole role="citizen">
              <DossierPage />
            </RequireRole>
          }
        />
        <Route
          path="officer"
          element={
            <RequireRole role="officer">
              <QueuePage />
            </RequireRole>
          }
        />
        <Route
          path="officer/cases/:caseId"
          element={
            <RequireRole role="officer">
              <CasePage />
            </RequireRole>
          }
        />
        <Route
          path="operator/*"
          element={
            <RequireRole role="operator">
              <Suspense fallback={<Loading />}>
                <OperatorApp />
              </Suspense>
            </RequireRole>
          }
        />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}
