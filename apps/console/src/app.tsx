import { useSession } from './auth/session-context';
import { OperationsPage } from './pages/operations-page';
import { ProductEditPage } from './pages/product-edit-page';
import { ProductPage } from './pages/product-page';
import { ProductsPage } from './pages/products-page';
import { SignInPage } from './pages/sign-in-page';
import { Link, useRouter } from './ui/router';
import { OfflineBanner } from './ui/states';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

function Page() {
  const { path } = useRouter();
  const { session } = useSession();
  if (path === '/sign-in') return <SignInPage />;
  if (path === '/' || path === '/products') return <ProductsPage />;
  if (path === '/products/new') return session === null ? <SignInPage /> : <ProductEditPage />;
  if (path === '/operations') return <OperationsPage />;
  const edit = new RegExp(`^/products/(${UUID})/edit$`, 'i').exec(path);
  if (edit !== null) {
    return session === null ? <SignInPage /> : <ProductEditPage id={edit[1] as string} />;
  }
  const product = new RegExp(`^/products/(${UUID})$`, 'i').exec(path);
  if (product !== null) return <ProductPage id={product[1] as string} />;
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <Link to="/">Back to the products</Link>.
      </p>
    </section>
  );
}

export function App() {
  const { session, signOut } = useSession();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          Zocket
        </Link>
        <nav aria-label="Main">
          <Link to="/">Products</Link>
          {session?.operator === true ? <Link to="/operations">Operations</Link> : null}
        </nav>
        <div className="who">
          {session === null ? (
            <Link to="/sign-in">Sign in</Link>
          ) : (
            <>
              <span title={session.operator ? 'operator' : 'seller'}>
                {session.subject}
                {session.operator ? ' · operator' : ''}
              </span>
              <button type="button" className="link-button" onClick={signOut}>
                Sign out
              </button>
            </>
          )}
        </div>
      </header>
      <OfflineBanner />
      <main id="main">
        <Page />
      </main>
    </>
  );
}
