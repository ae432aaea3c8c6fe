FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    SALESCOACH_DATABASE_URL=sqlite+aiosqlite:////data/salescoach.db \
    SALESCOACH_ENVIRONMENT=production

WORKDIR /srv/salescoach
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY playbook ./playbook
COPY prompts ./prompts
RUN pip install -e . \
 && useradd --create-home --uid 10001 salescoach \
 && mkdir -p /data && chown salescoach /data

USER salescoach
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["salescoach", "serve", "--host", "0.0.0.0", "--port", "8000"]
