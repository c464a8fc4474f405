import { type Kysely, sql } from 'kysely';

/**
 * Live status: every insert, update and delete of an image takes the next `change_seq` from one
 * sequence (deletes leave a tombstone carrying theirs), so a subscriber resumes after the last
 * number it saw.
 *
 * A sequence number is taken before commit, so two writers could commit out of order and a reader
 * could see 11 before 10 is visible. To rule that out per product, a writer holds the product's
 * advisory lock in shared mode from the moment it takes a number until it commits (writers never
 * wait for each other), and a reader takes it exclusively for its read (`readImageChanges`): it
 * waits for every writer holding a number, and no new number is taken while it reads.
 *
 * Presigned uploads: one row per URL handed out, completed at most once, expired by a janitor.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE SEQUENCE product_image_change_seq AS bigint`.execute(db);
  await sql`ALTER TABLE product_images ADD COLUMN change_seq bigint NOT NULL DEFAULT nextval('product_image_change_seq')`.execute(
    db,
  );
  await sql`CREATE INDEX product_images_product_change_idx ON product_images (product_id, change_seq)`.execute(
    db,
  );
  await sql`
    CREATE TABLE product_image_tombstones (
      image_id uuid PRIMARY KEY,
      product_id uuid NOT NULL,
      change_seq bigint NOT NULL,
      deleted_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX product_image_tombstones_product_change_idx ON product_image_tombstones (product_id, change_seq)`.execute(
    db,
  );
  await sql`CREATE INDEX product_image_tombstones_deleted_idx ON product_image_tombstones (deleted_at)`.execute(
    db,
  );
  // 0x6c697665 = 'live': the advisory lock namespace of image changes (classid of the two-int form).
  await sql`
    CREATE FUNCTION product_image_change_lock(product uuid) RETURNS void LANGUAGE sql AS $$
      SELECT pg_advisory_xact_lock_shared(1818850917, hashtext(product::text))
    $$`.execute(db);
  await sql`
    CREATE FUNCTION product_image_next_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM product_image_change_lock(NEW.product_id);
      NEW.change_seq := nextval('product_image_change_seq');
      RETURN NEW;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER product_images_change_seq BEFORE INSERT OR UPDATE ON product_images
      FOR EACH ROW EXECUTE FUNCTION product_image_next_change()`.execute(db);
  await sql`
    CREATE FUNCTION product_image_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM product_image_change_lock(OLD.product_id);
      INSERT INTO product_image_tombstones (image_id, product_id, change_seq)
        VALUES (OLD.id, OLD.product_id, nextval('product_image_change_seq'))
        ON CONFLICT (image_id) DO NOTHING;
      RETURN OLD;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER product_images_tombstone AFTER DELETE ON product_images
      FOR EACH ROW EXECUTE FUNCTION product_image_tombstone()`.execute(db);

  await sql`
    CREATE TABLE uploads (
      id uuid PRIMARY KEY,
      owner_id uuid NOT NULL REFERENCES users (id),
      product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
      object_key text NOT NULL UNIQUE,
      declared_type text NOT NULL,
      declared_bytes bigint NOT NULL CHECK (declared_bytes > 0),
      declared_sha256 text,
      status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'completed', 'rejected', 'expired')),
      image_id uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      completed_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX uploads_pending_expiry_idx ON uploads (expires_at) WHERE status = 'pending'`.execute(
    db,
  );
  await sql`CREATE INDEX uploads_owner_pending_idx ON uploads (owner_id) WHERE status = 'pending'`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE uploads`.execute(db);
  await sql`DROP TRIGGER product_images_tombstone ON product_images`.execute(db);
  await sql`DROP TRIGGER product_images_change_seq ON product_images`.execute(db);
  await sql`DROP FUNCTION product_image_tombstone()`.execute(db);
  await sql`DROP FUNCTION product_image_next_change()`.execute(db);
  await sql`DROP FUNCTION product_image_change_lock(uuid)`.execute(db);
  await sql`DROP TABLE product_image_tombstones`.execute(db);
  await sql`ALTER TABLE product_images DROP COLUMN change_seq`.execute(db);
  await sql`DROP SEQUENCE product_image_change_seq`.execute(db);
}
