import { GridPage } from './grid-page';
import { Link, useRoute } from './navigation';
import { ProductPage } from './product-page';
import { BASE } from './routes';

export function App() {
  const route = useRoute();
  return (
    <>
      <header className="top">
        <Link href={BASE} className="brand">
          Zocket shop
        </Link>
      </header>
      <main>
        {route.page === 'grid' ? (
          <GridPage filters={route.filters} />
        ) : (
          <ProductPage key={route.id} id={route.id} />
        )}
      </main>
    </>
  );
}
