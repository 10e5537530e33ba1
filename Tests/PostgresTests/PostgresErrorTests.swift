import Postgres
import Testing

@Suite struct PostgresErrorTests {
    @Test func connectionProblemsAreThoseACallerAnswersWith503() {
        let problems: [PostgresError] = [
            PostgresError(code: .connectionFailed), PostgresError(code: .connectionClosed),
            PostgresError(code: .poolTimeout), PostgresError(code: .poolClosed),
            PostgresError(code: .server, sqlState: "57P01"), PostgresError(code: .server, sqlState: "08006"),
            PostgresError(code: .server, sqlState: "53300"),
        ]
        let notProblems: [PostgresError] = [
            PostgresError(code: .server, sqlState: "23505"), PostgresError(code: .server, sqlState: "42601"),
            PostgresError(code: .decoding), PostgresError(code: .badQuery), PostgresError(code: .copyFailed, sqlState: "22P02"),
        ]
        #expect(problems.allSatisfy { $0.isConnectionProblem })
        #expect(!notProblems.contains { $0.isConnectionProblem })
    }

    @Test func descriptionNeverContainsServerTextOrSQL() {
        let error = PostgresError(code: .server, sqlState: "23505",
                                  serverMessage: "duplicate key value violates unique constraint \"users_email_key\"",
                                  serverDetail: "Key (email)=(alice@example.com) already exists.",
                                  query: "INSERT INTO users (email) VALUES ($1)")
        #expect(error.description == "database error (SQLSTATE 23505)")
        #expect("\(error)" == "database error (SQLSTATE 23505)")
        #expect(error.logDescription.contains("alice@example.com"))
        #expect(error.logDescription.contains("INSERT INTO users"))
        for code in [PostgresError.Code.connectionFailed, .connectionClosed, .server, .poolTimeout, .poolClosed,
                     .decoding, .copyFailed, .badQuery] {
            let e = PostgresError(code: code, serverMessage: "secret data", serverDetail: "more secret", query: "SELECT secret")
            #expect(!e.description.contains("secret"), "\(code)")
        }
    }
}
