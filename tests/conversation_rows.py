"""What a tracker store's database holds, read with SQL (shared by the retention tests)."""
import sqlalchemy as sa


def senders(url: str) -> list[str]:
    """The conversations (sender ids) the database at ``url`` holds events of, sorted."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return sorted({row[0] for row in connection.execute(sa.text("SELECT sender_id FROM events"))})
    finally:
        engine.dispose()
