# One image for web, worker and beat: `python -m tracker.process NAME` runs the Procfile's
# command of that name (see docker-compose.yml, and the README's "Deploying").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=tracker.settings STATIC_ROOT=/app/var/static \
    BIND_HOST=0.0.0.0 PORT=8000
WORKDIR /app

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# Static files are collected at build time into STATIC_ROOT (served by whitenoise);
# the settings need these variables only to load.
RUN SECRET_KEY=collectstatic DATABASE_URL=postgres://build@localhost/build \
    REDIS_URL=redis://localhost:6379/0 python manage.py collectstatic --no-input --verbosity 0

# The code and static files stay root's: the processes only read them.
RUN useradd --system --uid 10001 --create-home vcwatch
USER vcwatch
EXPOSE 8000
CMD ["python", "-m", "tracker.process", "web"]
