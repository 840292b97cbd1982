/* SPDX-License-Identifier: MIT */
/* Suite 'files', continued: the links, hard links, FIFOs and sockets that
 * sandboxed code plants in /workspace and /output toward host files. The
 * file calls refuse them without blocking, the artifacts list skips them,
 * and neither the calls nor destroy ever follow one to the host. */
#include "test_common.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

START_TEST(planted_links_leave_host_untouched)
{
    ci_session *s = tc_session_new(NULL);
    /* host targets the sandbox cannot see, but the host could reach if it
     * followed a link: root-owned, in a host temp dir */
    char *host = tc_make_temp_dir("ci-files-host");
    char *secret = tc_printf("%s/secretfile-created-by-test", host);
    char *dir = tc_printf("%s/dir", host);
    char *passwd = tc_printf("%s/dir/passwd", host);
    char *out = tc_printf("%s/out.bin", host);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    tc_write_file(secret, "host secret\n", 0600);
    tc_write_file(passwd, "host passwd\n", 0644);
    struct stat etc_before, etc_after;
    ck_assert_int_eq(stat("/etc/passwd", &etc_before), 0);

    char *plant = tc_printf(
        "import os\n"
        "os.symlink('/etc', 'link')\n"
        "os.symlink('%s', 'hostdir')\n"
        "os.symlink('%s', 'evil')\n"
        "os.symlink('%s', 'evil2')\n"
        "open('real.txt', 'w').write('sandbox data')\n"
        "os.link('real.txt', 'hard')\n"
        "os.mkdir('sub')\n"
        "os.symlink('..', 'sub/up')\n",
        dir, secret, secret);
    ci_result_free(tc_exec_ok(s, plant, NULL));
    free(plant);

    void *data = NULL;
    size_t len = 0;
    ci_file_list *list = NULL;
    /* Only read-only calls go through the link to the host's real /etc:
     * were links ever followed again, the calls that write or remove must
     * hit this test's own host files, never the host's /etc. */
    /* uploads through a linked folder */
    tc_expect_rc(ci_upload(s, "hostdir/passwd", "pwned\n", 6), CI_EPATH, "upload via link -> host dir");
    ck_assert_msg(strstr(ci_last_error(), "symbolic link") != NULL, "%s", ci_last_error());
    tc_expect_rc(ci_upload(s, "hostdir/new/x", "pwned\n", 6), CI_EPATH, "mkdir via link");
    tc_expect_rc(ci_upload(s, "sub/up/x", "pwned\n", 6), CI_EPATH, "upload via link -> ..");
    /* downloads of linked files, and through linked folders */
    tc_expect_rc(ci_download(s, "evil", &data, &len), CI_EPATH, "download link -> secret");
    tc_expect_rc(ci_download(s, "hostdir/passwd", &data, &len), CI_EPATH, "download via link");
    tc_expect_rc(ci_download(s, "link/passwd", &data, &len), CI_EPATH, "download via link -> /etc");
    tc_expect_rc(ci_download_to_file(s, "evil", out), CI_EPATH, "download_to_file link");
    ck_assert_int_eq(access(out, F_OK), -1);
    /* a hard link is refused even though it names a sandbox file */
    tc_expect_rc(ci_download(s, "hard", &data, &len), CI_EFILETYPE, "download hard link");
    ck_assert_msg(strstr(ci_last_error(), "hard link") != NULL, "%s", ci_last_error());
    tc_expect_rc(ci_download(s, "real.txt", &data, &len), CI_EFILETYPE, "download linked file");
    ck_assert_ptr_null(data);
    /* listing through a link */
    tc_expect_rc(ci_list_files(s, "hostdir", &list), CI_EPATH, "list via link");
    tc_expect_rc(ci_list_files(s, "link", &list), CI_EPATH, "list via link -> /etc");
    /* removal: the links go, never what they point at */
    tc_expect_rc(ci_remove_file(s, "hostdir/passwd"), CI_EPATH, "remove via link");
    tc_expect_rc(ci_remove_file(s, "hostdir"), 0, "remove link -> host dir");
    tc_expect_rc(ci_remove_file(s, "evil2"), 0, "remove link -> secret");
    /* an upload over a link replaces the link itself */
    tc_expect_rc(ci_upload(s, "evil", "replaced", 8), 0, "upload over a link");
    tc_expect_rc(ci_download(s, "evil", &data, &len), 0, "download what replaced the link");
    ck_assert_str_eq(data, "replaced");
    ci_free(data);
    tc_expect_rc(ci_remove_file(s, "sub"), 0, "remove a folder holding a link to ..");

    tc_assert_host_file(secret, "host secret\n");
    tc_assert_host_file(passwd, "host passwd\n");
    ck_assert_int_eq(stat("/etc/passwd", &etc_after), 0);
    ck_assert_int_eq(etc_before.st_ino, etc_after.st_ino);
    ck_assert_int_eq(etc_before.st_size, etc_after.st_size);
    ck_assert_int_eq(etc_before.st_mtim.tv_sec, etc_after.st_mtim.tv_sec);
    tc_assert_names(s, NULL, "evil,hard,link,real.txt");
    tc_assert_py(s, "print(open('real.txt').read())", "sandbox data\n");

    ci_session_destroy(s);
    tc_assert_host_file(secret, "host secret\n");
    tc_assert_host_file(passwd, "host passwd\n");
    tc_remove_tree(host);
    free(host);
    free(secret);
    free(dir);
    free(passwd);
    free(out);
}
END_TEST

START_TEST(fifo_refused_without_blocking)
{
    ci_session *s = tc_session_new(NULL);
    char *tmp = tc_make_temp_dir("ci-files-fifo");
    char *out = tc_printf("%s/out", tmp);
    ci_result_free(tc_exec_ok(s, "import os, socket\nos.mkfifo('pipe')\n"
                                 "socket.socket(socket.AF_UNIX).bind('sock')\n", NULL));
    void *data = NULL;
    size_t len = 0;
    /* a blocking open would wait for a writer forever: the case timeout
     * would end the test */
    tc_expect_rc(ci_download(s, "pipe", &data, &len), CI_EFILETYPE, "download FIFO");
    ck_assert_msg(strstr(ci_last_error(), "FIFO") != NULL, "%s", ci_last_error());
    tc_expect_rc(ci_download_to_file(s, "pipe", out), CI_EFILETYPE, "download_to_file FIFO");
    tc_expect_rc(ci_download(s, "sock", &data, &len), CI_EFILETYPE, "download socket");
    ck_assert_int_eq(access(out, F_OK), -1);

    ci_file_list *list = NULL;
    tc_expect_rc(ci_list_files(s, NULL, &list), 0, "list");
    ck_assert_uint_eq(ci_file_list_count(list), 2);
    ck_assert_int_eq(ci_file_list_type(list, 0), CI_FILE_OTHER);
    ck_assert_int_eq(ci_file_list_type(list, 1), CI_FILE_OTHER);
    ci_file_list_free(list);

    cJSON *a = tc_invoke(s, "{\"name\":\"readFiles\",\"arguments\":{\"paths\":[\"pipe\"]}}");
    ck_assert_msg(tc_invoke_is_error(a), "readFiles of a FIFO: %s", tc_invoke_text(a));
    cJSON_Delete(a);

    tc_expect_rc(ci_remove_file(s, "pipe"), 0, "remove FIFO");
    tc_expect_rc(ci_remove_file(s, "sock"), 0, "remove socket");
    tc_assert_names(s, NULL, "");
    ci_session_destroy(s);
    tc_remove_tree(tmp);
    free(tmp);
    free(out);
}
END_TEST

START_TEST(file_calls_never_follow_planted_links)
{
    char token[33];
    tc_random_hex(token, 32);
    char *victim = tc_make_temp_dir("ci-victim");
    ck_assert_int_eq(chmod(victim, 0755), 0);
    char *secret = tc_printf("%s/secret.txt", victim);
    tc_write_file(secret, token, 0644);
    char *out_path = tc_printf("%s/downloaded.txt", victim);

    ci_session *s = tc_session_new(NULL);
    char *code = tc_printf("import os, socket\n"
                           "open('plain.txt', 'w').write('plain')\n"
                           "open('a.txt', 'w').write('a')\n"
                           "os.link('a.txt', 'hard_a')\n"
                           "os.symlink('/etc/passwd', 'link_passwd')\n"
                           "os.symlink('%s', 'link_secret')\n"
                           "os.symlink('%s', 'linkdir')\n"
                           "os.symlink('/workspace/plain.txt', 'link_plain')\n"
                           "os.makedirs('dir/sub')\n"
                           "os.symlink('%s', 'dir/sub/up')\n"
                           "os.mkfifo('fifo')\n"
                           "u = socket.socket(socket.AF_UNIX)\n"
                           "u.bind('sock')\n",
                           secret, victim, victim);
    ci_result_free(tc_exec_ok(s, code, NULL));
    free(code);

    /* control: a plain file downloads */
    void *data = NULL;
    size_t len = 0;
    ck_assert_int_eq(ci_download(s, "plain.txt", &data, &len), 0);
    ck_assert_uint_eq(len, 5);
    ck_assert_int_eq(memcmp(data, "plain", 5), 0);
    ci_free(data);

    static const struct {
        const char *name;
        int want;
    } refused[] = {
        {"link_passwd", CI_EPATH},        {"link_secret", CI_EPATH},
        {"linkdir/secret.txt", CI_EPATH}, {"link_plain", CI_EPATH},
        {"dir/sub/up/secret.txt", CI_EPATH}, {"hard_a", CI_EFILETYPE},
        {"a.txt", CI_EFILETYPE},          {"fifo", CI_EFILETYPE},
        {"sock", CI_EFILETYPE},           {"dir", CI_EFILETYPE},
        {"../plain.txt", CI_EPATH},       {"/etc/passwd", CI_EPATH},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        data = (void *)&data;
        double start = tc_now_ms();
        int rc = ci_download(s, refused[i].name, &data, &len);
        ck_assert_msg(rc == refused[i].want, "download %s: %d (%s), wanted %d",
                      refused[i].name, rc, ci_strerror(rc), refused[i].want);
        ck_assert_msg(data == (void *)&data, "download %s set its output", refused[i].name);
        ck_assert_msg(tc_now_ms() - start < 5000.0, "download %s blocked", refused[i].name);
        rc = ci_download_to_file(s, refused[i].name, out_path);
        ck_assert_msg(rc == refused[i].want, "download_to_file %s: %d", refused[i].name, rc);
        ck_assert_msg(access(out_path, F_OK) != 0, "download_to_file %s wrote the host file",
                      refused[i].name);
    }

    /* writes and removals through links land nowhere on the host */
    ck_assert_int_eq(ci_upload(s, "linkdir/evil.txt", "evil", 4), CI_EPATH);
    ck_assert_int_eq(ci_upload(s, "dir/sub/up/evil.txt", "evil", 4), CI_EPATH);
    int rc = ci_upload(s, "link_secret", "evil", 4);
    ck_assert_msg(rc == 0 || rc == CI_EPATH, "upload over a link: %d", rc);
    ck_assert_int_eq(ci_remove_file(s, "linkdir/secret.txt"), CI_EPATH);
    ck_assert_int_eq(ci_remove_file(s, "dir"), 0); /* a tree holding a link out */
    ck_assert_int_eq(ci_remove_file(s, "linkdir"), 0); /* the link, not its target */

    ci_file_list *list = NULL;
    ck_assert_int_eq(ci_list_files(s, "link_passwd", &list), CI_EPATH);
    ck_assert_int_eq(ci_list_files(s, NULL, &list), 0);
    int saw_link = 0;
    for (size_t i = 0; i < ci_file_list_count(list); i++)
        if (strcmp(ci_file_list_name(list, i), "link_passwd") == 0)
            saw_link = ci_file_list_type(list, i) == CI_FILE_SYMLINK;
    ck_assert_msg(saw_link, "link_passwd not listed as a symbolic link");
    ci_file_list_free(list);

    char *still = tc_read_file(secret);
    ck_assert_msg(still && strcmp(still, token) == 0, "the host file behind a link changed");
    free(still);
    ck_assert_msg(access(victim, F_OK) == 0, "the host folder behind a link is gone");
    char *evil = tc_printf("%s/evil.txt", victim);
    ck_assert_msg(access(evil, F_OK) != 0, "an upload went through a link to the host");
    free(evil);

    ci_session_destroy(s);
    still = tc_read_file(secret);
    ck_assert_msg(still && strcmp(still, token) == 0, "destroy changed the host file");
    free(still);
    tc_remove_tree(victim);
    free(out_path);
    free(secret);
    free(victim);
}
END_TEST

/* Links planted in /output (the folder copied out after an execution) and
 * /workspace toward host files: the artifacts list regular files only and
 * the host never follows them, in the listing or at destroy. */
START_TEST(output_links_inert)
{
    char token[33];
    tc_random_hex(token, 32);
    char *victim = tc_make_temp_dir("ci-hard-victim");
    ck_assert_int_eq(chmod(victim, 0755), 0);
    char *secret = tc_printf("%s/secret.txt", victim);
    tc_write_file(secret, token, 0644);

    ci_session *s = tc_session_new(NULL);
    char *code = tc_printf("import os\n"
                           "os.symlink('%s', '/output/link_secret')\n"
                           "os.symlink('%s', '/output/link_dir')\n"
                           "os.symlink('/etc/passwd', '/output/link_passwd')\n"
                           "os.symlink('/workspace', '/output/link_ws')\n"
                           "os.mkfifo('/output/fifo')\n"
                           "open('/output/plain.txt', 'w').write('plain')\n"
                           "os.link('/output/plain.txt', '/output/hard.txt')\n"
                           "os.symlink('%s', '/workspace/link_secret')\n",
                           secret, victim, secret);
    ci_result *r = tc_exec_ok(s, code, NULL);
    free(code);
    int saw_plain = 0;
    for (size_t i = 0; i < ci_result_artifact_count(r); i++) {
        const char *path = ci_result_artifact_path(r, i);
        ck_assert_msg(strstr(path, "link") == NULL && strstr(path, "fifo") == NULL,
                      "a link or FIFO became an artifact: %s", path);
        saw_plain |= strcmp(path, "/output/plain.txt") == 0;
    }
    ck_assert_msg(saw_plain, "/output/plain.txt is not an artifact (control)");
    ci_result_free(r);

    /* the workspace's file calls refuse the link */
    void *data = NULL;
    size_t len = 0;
    ck_assert_int_eq(ci_download(s, "link_secret", &data, &len), CI_EPATH);

    ci_session_destroy(s);
    struct stat st;
    ck_assert_msg(stat(secret, &st) == 0 && st.st_size == 32,
                  "the host file behind a planted link changed");
    ck_assert_msg(stat(victim, &st) == 0 && S_ISDIR(st.st_mode),
                  "the host folder behind a planted link is gone");
    tc_remove_tree(victim);
    free(secret);
    free(victim);
}
END_TEST

static Suite *links_suite(void)
{
    Suite *s = suite_create("files");
    TCase *tc = tcase_create("links");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, planted_links_leave_host_untouched);
    tcase_add_test(tc, fifo_refused_without_blocking);
    tcase_add_test(tc, file_calls_never_follow_planted_links);
    tcase_add_test(tc, output_links_inert);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    tc_require_runtime();
    return tc_run_suite(links_suite());
}
