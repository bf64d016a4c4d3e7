# Production image for Pulih: gunicorn as a non-root user. Migrations are a separate command:
#   docker run --rm IMAGE python manage.py migrate --noinput
# The same image runs the Celery worker and beat (see compose.yaml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PULIH_ENV=production

RUN apt-get update \
 && apt-get install -y --no-install-recommends libgdal32 libgeos-c1v5 libproj25 gettext postgresql-client \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml ./
RUN pip install --upgrade pip && pip install .
COPY . .
# Compile translations and collect static files at build time; no secrets are needed for either.
RUN SECRET_KEY=build-only-not-a-secret-0123456789abcdefgh NIK_HMAC_KEY=build-only-not-a-secret-0123456789abcd \
    JWT_SIGNING_KEY=build-only-not-a-secret-0123456789abcdef PULIH_ENV=development \
    sh -c "python manage.py compilemessages -l en && python manage.py collectstatic --noinput"

RUN useradd --system --uid 10001 --home /app pulih && chown -R pulih /app/staticfiles
USER pulih
EXPOSE 8000
# gunicorn.conf.py: 3 gthread workers x 4 threads, a connection pool of 4 per worker, at most 2 password checks at
# once per worker (GUNICORN_WORKERS / GUNICORN_THREADS / SIGN_IN_CONCURRENCY override them).
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
