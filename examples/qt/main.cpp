// A Qt client of org.pantherx.Accounts built on proxies that qdbusxml2cpp generates from the
// contract: adds an IMAP account with a password, reads typed properties of the account and of
// its Imap interface, reads the secret back, reports a status and waits for StatusChanged,
// then removes the account. Prints one line per step; exits non-zero on the first failure.
//
//   make && build/px-accounts-qt-example
#include <QCoreApplication>
#include <QDBusConnection>
#include <QDBusMetaType>
#include <QEventLoop>
#include <QTextStream>
#include <QTimer>
#include <cstdio>

#include "Account_proxy.h"
#include "Imap_proxy.h"
#include "Manager_proxy.h"

static const QString NAME = QStringLiteral("org.pantherx.Accounts");

static int fail(const QString &step, const QDBusError &error) {
  std::fprintf(stderr, "%s failed: %s: %s\n", qPrintable(step), qPrintable(error.name()), qPrintable(error.message()));
  return 1;
}

int main(int argc, char **argv) {
  QCoreApplication app(argc, argv);
  qDBusRegisterMetaType<QMap<QString, QString>>();
  qDBusRegisterMetaType<QList<QVariantMap>>();
  QTextStream out(stdout);
  QDBusConnection bus = QDBusConnection::sessionBus();
  const QString user = QStringLiteral("qt-example-%1@example.org").arg(QCoreApplication::applicationPid());
  const QString password = QStringLiteral("qt-example-%1").arg(qrand());

  OrgPantherxAccountsManagerInterface manager(NAME, QStringLiteral("/org/pantherx/Accounts"), bus);
  QVariantMap options{{"imap.host", "127.0.0.1"}, {"imap.port", QVariant::fromValue<quint16>(1143)}, {"imap.security", "none"}};
  auto added = manager.AddAccount(QStringLiteral("imap"), user, {{"password", password}}, options);
  added.waitForFinished();
  if (added.isError()) return fail("AddAccount", added.error());
  const QString path = added.value().path();
  out << "added " << path << Qt::endl;

  OrgPantherxAccountsAccountInterface account(NAME, path, bus);
  OrgPantherxAccountsImapInterface imap(NAME, path, bus);
  out << "name " << account.name() << " provider " << account.provider() << " status " << account.status() << Qt::endl;
  out << "imap " << imap.host() << ":" << imap.port() << " security " << imap.security() << Qt::endl;
  if (imap.port() != 1143) return fail("Imap.Port", QDBusError(QDBusError::Other, "unexpected port"));

  auto secret = account.GetSecret(QStringLiteral("password"));
  secret.waitForFinished();
  if (secret.isError()) return fail("GetSecret", secret.error());
  out << "secret " << (secret.value() == password ? "matches" : "DIFFERS") << Qt::endl;
  if (secret.value() != password) return 1;

  QEventLoop loop;
  QString seen;
  QObject::connect(&account, &OrgPantherxAccountsAccountInterface::StatusChanged, [&](const QString &status, const QString &message) {
    seen = status + " " + message;
    loop.quit();
  });
  QTimer::singleShot(5000, &loop, &QEventLoop::quit);
  auto reported = account.ReportStatus(QStringLiteral("online"), QStringLiteral("synced by the Qt example"));
  reported.waitForFinished();
  if (reported.isError()) return fail("ReportStatus", reported.error());
  if (seen.isEmpty()) loop.exec();
  out << "StatusChanged " << seen << Qt::endl;
  if (!seen.startsWith("online")) return 1;

  auto removed = account.Remove();
  removed.waitForFinished();
  if (removed.isError()) return fail("Remove", removed.error());
  out << "removed" << Qt::endl;
  return 0;
}
