/*
 * A GLib client of org.pantherx.Accounts built on the proxies gdbus-codegen generates from the
 * contract: adds an IMAP account with a password, reads typed properties of the account and of
 * its Imap interface, reads the secret back, reports a status and waits for StatusChanged,
 * then removes the account. Prints one line per step; exits non-zero on the first failure.
 *
 *   make && build/px-accounts-glib-example
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "px-accounts-generated.h"

#define NAME "org.pantherx.Accounts"

static int fail(const char *step, GError *error) {
  fprintf(stderr, "%s failed: %s\n", step, error ? error->message : "unexpected value");
  if (error) g_error_free(error);
  return 1;
}

static void on_status_changed(PxAccount *account, const gchar *status, const gchar *message, gpointer data) {
  gchar **seen = data;
  *seen = g_strdup_printf("%s %s", status, message);
}

static gboolean on_timeout(gpointer data) {
  return G_SOURCE_REMOVE;
}

int main(void) {
  GError *error = NULL;
  gchar *user = g_strdup_printf("glib-example-%d@example.org", (int) getpid());
  gchar *password = g_strdup_printf("glib-example-%u", g_random_int());

  PxManager *manager = px_manager_proxy_new_for_bus_sync(G_BUS_TYPE_SESSION, G_DBUS_PROXY_FLAGS_NONE, NAME,
                                                         "/org/pantherx/Accounts", NULL, &error);
  if (!manager) return fail("connect", error);

  GVariantBuilder secrets, options;
  g_variant_builder_init(&secrets, G_VARIANT_TYPE("a{ss}"));
  g_variant_builder_add(&secrets, "{ss}", "password", password);
  g_variant_builder_init(&options, G_VARIANT_TYPE("a{sv}"));
  g_variant_builder_add(&options, "{sv}", "imap.host", g_variant_new_string("127.0.0.1"));
  g_variant_builder_add(&options, "{sv}", "imap.port", g_variant_new_uint16(1143));
  g_variant_builder_add(&options, "{sv}", "imap.security", g_variant_new_string("none"));
  gchar *path = NULL;
  if (!px_manager_call_add_account_sync(manager, "imap", user, g_variant_builder_end(&secrets),
                                        g_variant_builder_end(&options), &path, NULL, &error))
    return fail("AddAccount", error);
  printf("added %s\n", path);

  PxAccount *account = px_account_proxy_new_for_bus_sync(G_BUS_TYPE_SESSION, G_DBUS_PROXY_FLAGS_NONE, NAME, path, NULL, &error);
  PxImap *imap = account ? px_imap_proxy_new_for_bus_sync(G_BUS_TYPE_SESSION, G_DBUS_PROXY_FLAGS_NONE, NAME, path, NULL, &error) : NULL;
  if (!imap) return fail("proxies", error);
  printf("name %s provider %s status %s\n", px_account_get_name(account), px_account_get_provider(account), px_account_get_status(account));
  printf("imap %s:%u security %s\n", px_imap_get_host(imap), px_imap_get_port(imap), px_imap_get_security(imap));
  if (px_imap_get_port(imap) != 1143) return fail("Imap.Port", NULL);

  gchar *secret = NULL;
  if (!px_account_call_get_secret_sync(account, "password", &secret, NULL, &error)) return fail("GetSecret", error);
  printf("secret %s\n", strcmp(secret, password) == 0 ? "matches" : "DIFFERS");
  if (strcmp(secret, password) != 0) return 1;

  gchar *seen = NULL;
  g_signal_connect(account, "status-changed", G_CALLBACK(on_status_changed), &seen);
  if (!px_account_call_report_status_sync(account, "online", "synced by the GLib example", NULL, &error))
    return fail("ReportStatus", error);
  gint64 deadline = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;
  g_timeout_add(5000, on_timeout, NULL);
  while (!seen && g_get_monotonic_time() < deadline) g_main_context_iteration(NULL, TRUE);
  printf("StatusChanged %s\n", seen ? seen : "(none)");
  if (!seen || strncmp(seen, "online", 6) != 0) return 1;

  if (!px_account_call_remove_sync(account, NULL, &error)) return fail("Remove", error);
  printf("removed\n");
  return 0;
}
