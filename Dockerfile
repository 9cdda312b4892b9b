# The shop image: the API and admin (`shop serve`), the outbox worker (`shop worker`),
# migrations (`shop db upgrade`), and the storefront build and publish, all from one wheel.
#
#   docker build -t shop .
#   docker run --rm -e SHOP_DATABASE_URL=... -e SHOP_SECRET_KEY=... shop shop db upgrade
#   docker run -p 8000:8000 -e ... shop            # the API with 4 worker processes

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY shop ./shop
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SHOP_DIR=/srv/store \
    SHOP_ENV=production \
    SHOP_LOG_JSON=true
RUN useradd --system --uid 10001 --user-group --home-dir /srv/store --create-home shop
COPY --from=build /wheels /wheels
RUN pip install /wheels/*.whl && rm -rf /wheels
USER shop
WORKDIR /srv/store
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/v1/health', timeout=2)"]
CMD ["shop", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "4"]
