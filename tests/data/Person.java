package org.acme;

import java.util.Date;
import java.util.List;

public class Person implements java.io.Serializable {
    public static final long serialVersionUID = 1L;
    private String name;
    private int age;
    private Long id;
    private Date birth;
    private List<String> tags;
    private Address address;

    public Person() {}
    public Person(String name, int age) { this.name = name; this.age = age; }
    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public int getAge() { return age; }
    public void setAge(int age) { this.age = age; }
}
